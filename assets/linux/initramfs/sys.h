/* Raw Linux system calls for RV64 (no libc).
 *
 * Only the kernel's UAPI headers are used, for syscall numbers and flag
 * values; everything else is defined here. */
#ifndef GRAPHSIM_SYS_H
#define GRAPHSIM_SYS_H

#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/reboot.h>

typedef unsigned long size_t;
typedef long ssize_t;

static inline long syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d;
	register long a4 __asm__("a4") = e;
	register long a5 __asm__("a5") = f;
	register long a7 __asm__("a7") = n;
	__asm__ volatile("ecall"
			 : "+r"(a0)
			 : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
			 : "memory");
	return a0;
}

#define syscall0(n) syscall6(n, 0, 0, 0, 0, 0, 0)
#define syscall1(n, a) syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b) syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c) syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define syscall4(n, a, b, c, d) \
	syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define syscall5(n, a, b, c, d, e) \
	syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* Errors come back as -errno, as from the kernel. */
static inline ssize_t sys_read(int fd, void *buf, size_t n) { return syscall3(__NR_read, fd, buf, n); }
static inline ssize_t sys_write(int fd, const void *buf, size_t n) { return syscall3(__NR_write, fd, buf, n); }
static inline int sys_open(const char *path, int flags) { return syscall4(__NR_openat, AT_FDCWD, path, flags, 0); }
static inline int sys_close(int fd) { return syscall1(__NR_close, fd); }
static inline int sys_dup3(int oldfd, int newfd) { return syscall3(__NR_dup3, oldfd, newfd, 0); }
static inline int sys_mkdir(const char *path, int mode) { return syscall3(__NR_mkdirat, AT_FDCWD, path, mode); }
static inline int sys_mount(const char *src, const char *dst, const char *type,
			    unsigned long flags, const void *data)
{
	return syscall5(__NR_mount, src, dst, type, flags, data);
}
static inline int sys_umount(const char *dst) { return syscall2(__NR_umount2, dst, 0); }
static inline long sys_getdents64(int fd, void *buf, size_t n) { return syscall3(__NR_getdents64, fd, buf, n); }
static inline void sys_sync(void) { syscall0(__NR_sync); }
static inline int sys_reboot(unsigned int cmd)
{
	return syscall4(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, 0);
}
static inline int sys_uname(void *buf) { return syscall1(__NR_uname, buf); }
static inline int sys_execve(const char *path, char *const argv[], char *const envp[])
{
	return syscall3(__NR_execve, path, argv, envp);
}
/* fork() is clone(SIGCHLD) with no new stack. */
static inline int sys_fork(void) { return syscall5(__NR_clone, 17 /* SIGCHLD */, 0, 0, 0, 0); }
static inline int sys_wait4(int pid, int *status) { return syscall4(__NR_wait4, pid, status, 0, 0); }
static inline int sys_sleep(long seconds)
{
	long ts[2] = { seconds, 0 };
	return syscall2(__NR_nanosleep, ts, 0);
}
static inline __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		syscall1(__NR_exit_group, code);
}

/* Mount flags (linux/mount.h would drag in more than we need). */
#define MS_RDONLY 1UL

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};
#define DT_DIR 4

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

#endif
