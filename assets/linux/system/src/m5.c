/*
 * m5: gem5's guest utility (util/m5 in gem5), for graphsim's Linux system.
 *
 * The command line is gem5's:
 *   m5 checkpoint [delay [period]]     m5 exit [delay]          m5 fail <code> [delay]
 *   m5 resetstats [delay [period]]     m5 dumpstats [...]       m5 dumpresetstats [...]
 *   m5 workbegin [workid [threadid]]   m5 workend [...]         m5 switchcpu
 *   m5 readfile                        (the host's --script file on stdout)
 *   m5 writefile <file> [host name]    (a guest file into the host's run directory)
 * Delays and periods are in nanoseconds, as in gem5.
 *
 * Each operation is one m5op instruction with gem5's RISC-V encoding: the
 * custom-3 opcode with the function number in bits 31:25 (0x7b | func << 25),
 * arguments in a0..a3, the result in a0 -- so this binary runs on gem5 too.
 * Outside a simulator the instruction is illegal: the SIGILL handler turns
 * that into an error message and exit status 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* gem5's function numbers (include/gem5/asm/generic/m5ops.h). */
#define M5OP_EXIT 0x21
#define M5OP_FAIL 0x22
#define M5OP_RESET_STATS 0x40
#define M5OP_DUMP_STATS 0x41
#define M5OP_DUMP_RESET_STATS 0x42
#define M5OP_CHECKPOINT 0x43
#define M5OP_WRITE_FILE 0x4F
#define M5OP_READ_FILE 0x50
#define M5OP_SWITCH_CPU 0x52
#define M5OP_WORK_BEGIN 0x5A
#define M5OP_WORK_END 0x5B

#define M5OP_WORD(func) (0x7b | ((func) << 25))
#define STR_(x) #x
#define STR(x) STR_(x)

/* One m5op: four arguments in, a0 out. The instruction word is emitted with
 * .word so that no assembler support for custom opcodes is needed. */
#define DEFINE_M5OP(name, func)                                                   \
    static uint64_t name(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {        \
        register uint64_t a0 __asm__("a0") = a;                                   \
        register uint64_t a1 __asm__("a1") = b;                                   \
        register uint64_t a2 __asm__("a2") = c;                                   \
        register uint64_t a3 __asm__("a3") = d;                                   \
        __asm__ volatile(".word " STR(M5OP_WORD(func))                             \
                         : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3) : "memory");      \
        return a0;                                                                \
    }

DEFINE_M5OP(m5_exit, M5OP_EXIT)
DEFINE_M5OP(m5_fail, M5OP_FAIL)
DEFINE_M5OP(m5_reset_stats, M5OP_RESET_STATS)
DEFINE_M5OP(m5_dump_stats, M5OP_DUMP_STATS)
DEFINE_M5OP(m5_dump_reset_stats, M5OP_DUMP_RESET_STATS)
DEFINE_M5OP(m5_checkpoint, M5OP_CHECKPOINT)
DEFINE_M5OP(m5_write_file, M5OP_WRITE_FILE)
DEFINE_M5OP(m5_read_file, M5OP_READ_FILE)
DEFINE_M5OP(m5_switch_cpu, M5OP_SWITCH_CPU)
DEFINE_M5OP(m5_work_begin, M5OP_WORK_BEGIN)
DEFINE_M5OP(m5_work_end, M5OP_WORK_END)

static sigjmp_buf no_simulator;

static void on_sigill(int sig) {
    (void)sig;
    siglongjmp(no_simulator, 1);
}

static void usage(void) {
    fputs("Usage: m5 <command> [arguments]\n"
          "\n"
          "  checkpoint [delay [period]]    take a checkpoint (delay/period in ns)\n"
          "  exit [delay]                   end the simulation\n"
          "  fail <code> [delay]            end the simulation with an exit code\n"
          "  resetstats [delay [period]]    reset the statistics\n"
          "  dumpstats [delay [period]]     dump the statistics\n"
          "  dumpresetstats [delay [period]]\n"
          "  workbegin [workid [threadid]]  start a work region\n"
          "  workend [workid [threadid]]    end a work region (its statistics are dumped)\n"
          "  switchcpu                      switch the CPU model\n"
          "  readfile                       print the file the simulator was given with --script\n"
          "  writefile <file> [host name]   copy a file to the simulator's run directory\n",
          stderr);
    exit(1);
}

static uint64_t number(const char *text) {
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 0);
    if (errno || *text == '\0' || *end != '\0') {
        fprintf(stderr, "m5: %s: not a number\n", text);
        exit(1);
    }
    return value;
}

/* The optional numeric arguments argv[0..n-1] (at most `max`), missing ones 0. */
static void numbers(int argc, char **argv, int max, uint64_t *out) {
    if (argc > max)
        usage();
    for (int i = 0; i < max; i++)
        out[i] = i < argc ? number(argv[i]) : 0;
}

/* gem5's readfile: the host file arrives in chunks, at increasing offsets,
 * until a read returns 0. The buffer is touched first so that every page of
 * it is mapped and writable when the simulator copies into it. */
static int read_file(void) {
    static char buffer[256 * 1024];
    memset(buffer, 0, sizeof buffer);
    uint64_t offset = 0;
    for (;;) {
        uint64_t got = m5_read_file((uintptr_t)buffer, sizeof buffer, offset, 0);
        if (got == 0)
            return 0;
        if (got > sizeof buffer) {
            fprintf(stderr, "m5 readfile: the simulator returned %llu bytes\n", (unsigned long long)got);
            return 1;
        }
        for (uint64_t done = 0; done < got;) {
            ssize_t n = write(STDOUT_FILENO, buffer + done, got - done);
            if (n < 0) {
                perror("m5 readfile: stdout");
                return 1;
            }
            done += n;
        }
        offset += got;
    }
}

/* gem5's writefile: the guest file in chunks, each with its offset and the
 * host file name (relative to the simulator's run directory). */
static int write_file(const char *path, const char *host_name) {
    static char buffer[256 * 1024];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "m5 writefile: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (host_name == NULL) {
        const char *slash = strrchr(path, '/');
        host_name = slash ? slash + 1 : path;
    }
    uint64_t offset = 0;
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0) {
            fprintf(stderr, "m5 writefile: %s: %s\n", path, strerror(errno));
            close(fd);
            return 1;
        }
        /* An empty file still creates the host file (a write of 0 bytes at offset 0). */
        if (n == 0 && offset > 0)
            break;
        uint64_t written = m5_write_file((uintptr_t)buffer, n, offset, (uintptr_t)host_name);
        if (written != (uint64_t)n) {
            fprintf(stderr, "m5 writefile: the simulator wrote %llu of %zd bytes\n",
                    (unsigned long long)written, n);
            close(fd);
            return 1;
        }
        offset += n;
        if (n == 0)
            break;
    }
    close(fd);
    printf("Wrote %llu bytes to %s on the host\n", (unsigned long long)offset, host_name);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        usage();
    const char *command = argv[1];
    int nargs = argc - 2;
    char **args = argv + 2;
    uint64_t v[2];

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigill;
    sigaction(SIGILL, &action, NULL);
    if (sigsetjmp(no_simulator, 1)) {
        fprintf(stderr, "m5: %s: the m5op instruction is illegal here (not running under a simulator)\n",
                command);
        return 2;
    }

    if (!strcmp(command, "checkpoint")) {
        numbers(nargs, args, 2, v);
        m5_checkpoint(v[0], v[1], 0, 0);
    } else if (!strcmp(command, "exit")) {
        numbers(nargs, args, 1, v);
        m5_exit(v[0], 0, 0, 0);
    } else if (!strcmp(command, "fail")) {
        if (nargs < 1 || nargs > 2)
            usage();
        uint64_t code = number(args[0]);
        uint64_t delay = nargs > 1 ? number(args[1]) : 0;
        m5_fail(delay, code, 0, 0);
    } else if (!strcmp(command, "resetstats")) {
        numbers(nargs, args, 2, v);
        m5_reset_stats(v[0], v[1], 0, 0);
    } else if (!strcmp(command, "dumpstats")) {
        numbers(nargs, args, 2, v);
        m5_dump_stats(v[0], v[1], 0, 0);
    } else if (!strcmp(command, "dumpresetstats")) {
        numbers(nargs, args, 2, v);
        m5_dump_reset_stats(v[0], v[1], 0, 0);
    } else if (!strcmp(command, "workbegin")) {
        numbers(nargs, args, 2, v);
        m5_work_begin(v[0], v[1], 0, 0);
    } else if (!strcmp(command, "workend")) {
        numbers(nargs, args, 2, v);
        m5_work_end(v[0], v[1], 0, 0);
    } else if (!strcmp(command, "switchcpu")) {
        numbers(nargs, args, 0, v);
        m5_switch_cpu(0, 0, 0, 0);
    } else if (!strcmp(command, "readfile")) {
        numbers(nargs, args, 0, v);
        return read_file();
    } else if (!strcmp(command, "writefile")) {
        if (nargs < 1 || nargs > 2)
            usage();
        return write_file(args[0], nargs > 1 ? args[1] : NULL);
    } else {
        usage();
    }
    return 0;
}
