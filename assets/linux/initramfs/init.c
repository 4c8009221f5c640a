/* /init for the graphsim Linux guest: a libc-free init and command shell.
 *
 * Boot: mount proc, sysfs and devtmpfs, print a banner, mount the virtio
 * disk /dev/vda (ext2, read-only) at /mnt and show /mnt/etc/motd. Then a
 * shell loop with the prompt "graphsim:/# " reading lines from the console.
 * Built-ins: help echo cat ls mount umount sync poweroff m5; any other word
 * runs /bin/WORD (or a path containing '/') as a child process.
 *
 * The disk is mounted read-only so that booting never writes to it: the
 * checkpoint-then-swap-the-disk scenario relies on `umount /mnt` + `mount`
 * giving a clean view of whichever image is attached after a restore. */
#include "lib.h"
#include "m5ops.h"

#define PROMPT "graphsim:/# "
#define MAX_ARGS 16

static char **envp_g;

static void cat_fd(int fd, const char *name)
{
	char buf[512];
	ssize_t n;
	while ((n = sys_read(fd, buf, sizeof(buf))) > 0)
		sys_write(1, buf, n);
	if (n < 0)
		put_err("cat", name, n);
}

static int cmd_cat(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		int fd = sys_open(argv[i], O_RDONLY);
		if (fd < 0) {
			put_err("cat", argv[i], fd);
			rc = 1;
			continue;
		}
		cat_fd(fd, argv[i]);
		sys_close(fd);
	}
	return rc;
}

static int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			put_str(1, " ");
		put_str(1, argv[i]);
	}
	put_str(1, "\n");
	return 0;
}

/* One name per line, sorted, directories marked with '/', dot files hidden. */
static int cmd_ls(int argc, char **argv)
{
	static char dbuf[2048], pool[4096];
	static char *names[256];
	const char *dir = argc > 1 ? argv[1] : ".";
	int fd = sys_open(dir, O_RDONLY | O_DIRECTORY);
	int count = 0, used = 0, full = 0;
	long n;

	if (fd < 0) {
		put_err("ls", dir, fd);
		return 1;
	}
	while (!full && (n = sys_getdents64(fd, dbuf, sizeof(dbuf))) > 0) {
		for (long off = 0; off < n && !full;) {
			struct linux_dirent64 *d = (void *)(dbuf + off);
			size_t len = str_len(d->d_name);
			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			if (count == 256 || used + len + 2 > sizeof(pool)) {
				put_str(2, "ls: too many entries, list truncated\n");
				full = 1;
				continue;
			}
			names[count++] = pool + used;
			memcpy(pool + used, d->d_name, len);
			used += len;
			if (d->d_type == DT_DIR)
				pool[used++] = '/';
			pool[used++] = 0;
		}
	}
	sys_close(fd);
	if (n < 0)
		put_err("ls", dir, n);
	for (int i = 1; i < count; i++) /* insertion sort: lists are short */
		for (int j = i; j > 0 && str_cmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (int i = 0; i < count; i++)
		put_line(1, names[i]);
	return n < 0;
}

static int cmd_mount(int argc, char **argv)
{
	unsigned long flags = 0;
	if (argc == 5 && str_eq(argv[4], "ro"))
		flags = MS_RDONLY;
	else if (argc != 4) {
		put_str(2, "usage: mount DEV DIR TYPE [ro]\n");
		return 1;
	}
	int err = sys_mount(argv[1], argv[2], argv[3], flags, 0);
	if (err < 0)
		put_err("mount", argv[2], err);
	return err < 0;
}

static int cmd_umount(int argc, char **argv)
{
	if (argc != 2) {
		put_str(2, "usage: umount DIR\n");
		return 1;
	}
	int err = sys_umount(argv[1]);
	if (err < 0)
		put_err("umount", argv[1], err);
	return err < 0;
}

static int cmd_poweroff(int argc, char **argv)
{
	(void)argc, (void)argv;
	sys_sync();
	/* Linux -> SBI SRST -> OpenSBI's reset driver (QEMU: sifive_test). */
	int err = sys_reboot(LINUX_REBOOT_CMD_POWER_OFF);
	put_err("poweroff", "reboot", err);
	return 1;
}

static int cmd_sync(int argc, char **argv)
{
	(void)argc, (void)argv;
	sys_sync();
	return 0;
}

/* The m5op runs in a child process: outside graphsim it traps, and the
 * kernel logs a register dump for every SIGILL taken by PID 1, even a
 * handled one ("unhandled signal 4"); a child keeps the console clean. */
static int cmd_m5(int argc, char **argv)
{
	int status = 0, pid = sys_fork();
	if (pid == 0)
		sys_exit(m5_run(argc - 1, argv + 1));
	if (pid < 0) {
		put_err("m5", "fork", pid);
		return 1;
	}
	sys_wait4(pid, &status);
	return status;
}

static int cmd_help(int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} builtins[] = {
	{ "help", cmd_help, "list the built-in commands" },
	{ "echo", cmd_echo, "echo [WORD...]" },
	{ "cat", cmd_cat, "cat FILE..." },
	{ "ls", cmd_ls, "ls [DIR]" },
	{ "mount", cmd_mount, "mount DEV DIR TYPE [ro]" },
	{ "umount", cmd_umount, "umount DIR" },
	{ "sync", cmd_sync, "sync" },
	{ "poweroff", cmd_poweroff, "poweroff" },
	{ "m5", cmd_m5, "m5 checkpoint|exit|dumpstats|resetstats|... [ARGS]" },
};
#define N_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static int cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (unsigned i = 0; i < N_BUILTINS; i++)
		put_line(1, builtins[i].help);
	put_line(1, "other commands run /bin/NAME");
	return 0;
}

static int run_program(int argc, char **argv)
{
	static char path[128];
	const char *p = argv[0];
	int has_slash = 0, status = 0;
	(void)argc;
	for (const char *c = p; *c; c++)
		has_slash |= *c == '/';
	if (!has_slash) {
		if (str_len(p) + 6 > sizeof(path)) {
			put_str(2, "sh: command name too long\n");
			return 127;
		}
		memcpy(path, "/bin/", 5);
		memcpy(path + 5, p, str_len(p) + 1);
		p = path;
	}
	int pid = sys_fork();
	if (pid == 0) {
		int err = sys_execve(p, argv, envp_g);
		put_err("sh", argv[0], err);
		sys_exit(127);
	}
	if (pid < 0) {
		put_err("sh", "fork", pid);
		return 127;
	}
	sys_wait4(pid, &status);
	return status;
}

static void run_line(char *line)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			*p++ = 0;
		if (!*p || *p == '#')
			break;
		if (argc == MAX_ARGS) {
			put_str(2, "sh: too many arguments\n");
			return;
		}
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
	}
	argv[argc] = 0;
	if (!argc)
		return;
	for (unsigned i = 0; i < N_BUILTINS; i++)
		if (str_eq(argv[0], builtins[i].name)) {
			builtins[i].fn(argc, argv);
			return;
		}
	run_program(argc, argv);
}

/* Reads one line (without '\n') from fd 0. Works both on a canonical-mode
 * tty (one line per read) and on a pipe (several lines per read). Returns
 * 0 at end of input. Kept out of line: it is the "shell is waiting" marker
 * used when counting boot instructions (README.md). */
__attribute__((noinline)) int shell_read_line(char *out, size_t size)
{
	static char buf[512];
	static size_t have;
	size_t len = 0;

	for (;;) {
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			size_t n = i < size - 1 ? i : size - 1;
			memcpy(out, buf, n);
			out[n] = 0;
			have -= i + 1;
			memcpy(buf, buf + i + 1, have);
			return 1;
		}
		if (have == sizeof(buf)) { /* over-long line: keep its tail */
			have = 0;
			put_str(2, "sh: line too long\n");
		}
		ssize_t n = sys_read(0, buf + have, sizeof(buf) - have);
		if (n <= 0) {
			if (have) { /* last line without '\n' */
				len = have < size - 1 ? have : size - 1;
				memcpy(out, buf, len);
				out[len] = 0;
				have = 0;
				return 1;
			}
			return 0;
		}
		have += n;
	}
}

static void mount_fs(const char *src, const char *dst, const char *type, unsigned long flags)
{
	sys_mkdir(dst, 0755);
	int err = sys_mount(src, dst, type, flags, 0);
	if (err < 0 && err != -16 /* EBUSY: already mounted */)
		put_err("init: mount", dst, err);
}

static void banner(void)
{
	static struct utsname u;
	put_str(1, "\ngraphsim initramfs: ");
	if (sys_uname(&u) == 0) {
		put_str(1, u.sysname);
		put_str(1, " ");
		put_str(1, u.release);
		put_str(1, " ");
		put_str(1, u.machine);
	}
	put_str(1, "\n");
}

__attribute__((noreturn)) void start_c(long *sp)
{
	static char line[256];
	int argc = (int)sp[0];
	envp_g = (char **)(sp + 1 + argc + 1);

	mount_fs("proc", "/proc", "proc", 0);
	mount_fs("sysfs", "/sys", "sysfs", 0);
	mount_fs("devtmpfs", "/dev", "devtmpfs", 0);
	/* The kernel opens /dev/console as fds 0-2 before starting us; if it
	 * could not, do it now that devtmpfs is there. */
	if (syscall3(__NR_fcntl, 0, F_GETFD, 0) < 0) {
		int fd = sys_open("/dev/console", O_RDWR);
		if (fd >= 0)
			for (int i = 0; i < 3; i++)
				if (fd != i)
					sys_dup3(fd, i);
	}

	banner();
	sys_mkdir("/mnt", 0755);
	int err = sys_mount("/dev/vda", "/mnt", "ext2", MS_RDONLY, 0);
	if (err < 0)
		put_err("init: mount /dev/vda", "/mnt", err);
	else {
		int fd = sys_open("/mnt/etc/motd", O_RDONLY);
		if (fd >= 0) {
			cat_fd(fd, "/mnt/etc/motd");
			sys_close(fd);
		}
	}

	/* PID 1 must never exit (the kernel would panic): at end of input,
	 * keep waiting for more. */
	for (;;) {
		put_str(1, PROMPT);
		while (!shell_read_line(line, sizeof(line)))
			sys_sleep(1); /* end of input or no console: don't spin */
		run_line(line);
	}
}
