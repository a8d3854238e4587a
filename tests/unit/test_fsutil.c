/*
 * test_fsutil.c - the safe opens of util/fsutil.c: which symbolic links
 * a walk follows, what fs_openat refuses, and the same walk without
 * openat2 (a seccomp filter makes it fail with ENOSYS, as on a kernel
 * before 5.6), where the component-by-component fallback must refuse the
 * same links and "..", and still make missing directories.
 *
 * "Untrusted" directories are made group-writable (0770), which works
 * whoever runs the test; "trusted" ones are 0700 and reached from the
 * test's own directory (the runner's base may be /tmp, where nothing is
 * followed).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util/fsutil.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* no_openat2 - from now on openat2 fails with ENOSYS in this process */
static void
no_openat2(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(f) / sizeof(f[0])), f };

	CHECK_INT(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	CHECK_INT(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
	CHECK_INT(syscall(SYS_openat2, AT_FDCWD, ".", NULL, 0), -1);
	CHECK_INT(errno, ENOSYS);
}

/*
 * layout - in a fresh directory (made the cwd): data/ (0700) holding
 * open/ (0770: others could plant there) and own/ (0700), each with a
 * link "l" to ../../target, a directory outside data/
 */
static void
layout(void)
{
	CHECK_INT(chdir(unit_tmpdir()), 0);
	CHECK_INT(mkdir("target", 0700), 0);
	CHECK_INT(mkdir("data", 0700), 0);
	CHECK_INT(mkdir("data/open", 0700), 0);
	CHECK_INT(mkdir("data/own", 0700), 0);
	CHECK_INT(symlink("../../target", "data/open/l"), 0);
	CHECK_INT(symlink("../../target", "data/own/l"), 0);
	CHECK_INT(chmod("data/open", 0770), 0);
}

/* refused - fs_open_dir(path, mode) fails with err */
static void
refused(const char *path, mode_t mode, int err)
{
	int fd = fs_open_dir(path, mode);

	if (fd >= 0)
		UNIT_FAIL("fs_open_dir(%s) opened it", path);
	if (errno != err)
		UNIT_FAIL("fs_open_dir(%s): %s, expected %s", path, strerror(errno), strerror(err));
}

/* walks - the rule, whichever way the untrusted part is opened */
static void
walks(void)
{
	struct stat st;
	int fd;

	/* a link where others could have planted it: never followed, nor made through */
	refused("data/open/l", 0, ELOOP);
	refused("data/open/l/x", 0700, ELOOP);
	CHECK(stat("target/x", &st) < 0);
	refused("data/open/../own", 0, EXDEV);
	/* a link only we could have made: followed */
	fd = fs_open_dir("data/own/l", 0);
	CHECK(fd >= 0);
	close(fd);
	/* missing directories below an untrusted one are made, one by one */
	fd = fs_open_dir("data/open/a/b", 0700);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(stat("data/open/a/b", &st), 0);
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	/* and a file through either way is opened only as fs_openat allows */
	fd = fs_open("data/open/a/b/f", O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(fs_open("data/open/l/f", O_RDONLY, 0), -1);
	CHECK_INT(errno, ELOOP);
}

/* test_openat2 - the walk with openat2 */
static void
test_openat2(void)
{
	layout();
	walks();
}

/* test_fallback - the walk where openat2 is missing */
static void
test_fallback(void)
{
	layout();
	no_openat2();
	walks();
}

/* test_openat - one name in a directory: what may be opened, and how */
static void
test_openat(void)
{
	int dfd, fd;
	char buf[8];

	CHECK_INT(chdir(unit_tmpdir()), 0);
	CHECK((fd = open("f", O_WRONLY | O_CREAT, 0600)) >= 0 && write(fd, "abc", 3) == 3);
	close(fd);
	CHECK_INT(symlink("f", "link"), 0);
	CHECK_INT(link("f", "hard"), 0);
	CHECK_INT(mkfifo("fifo", 0600), 0);
	CHECK_INT(mkdir("dir", 0700), 0);
	dfd = fs_open_dir(".", 0);
	CHECK(dfd >= 0);
	alarm(10);	/* the FIFO must not block */
	CHECK_INT(fs_openat(dfd, "link", O_RDONLY, 0), -1);
	CHECK_INT(errno, ELOOP);
	CHECK_INT(fs_openat(dfd, "fifo", O_RDONLY, 0), -1);
	CHECK_INT(errno, ENXIO);
	CHECK_INT(fs_openat(dfd, "fifo", O_WRONLY, 0), -1);
	CHECK_INT(errno, ENXIO);
	CHECK_INT(fs_openat(dfd, "dir", O_RDONLY, 0), -1);
	CHECK_INT(errno, ENXIO);
	CHECK_INT(fs_openat(dfd, "../x", O_RDONLY, 0), -1);
	CHECK_INT(errno, EINVAL);
	/* two links: read, but not written, not even truncated */
	fd = fs_openat(dfd, "hard", O_RDONLY, 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(fs_openat(dfd, "hard", O_WRONLY | O_TRUNC, 0), -1);
	CHECK_INT(errno, EMLINK);
	CHECK_INT(unlink("hard"), 0);
	/* ours, one link: written, truncated only now, and blocking again */
	fd = fs_openat(dfd, "f", O_RDWR | O_TRUNC, 0);
	CHECK(fd >= 0);
	CHECK_INT(read(fd, buf, sizeof(buf)), 0);
	CHECK_INT(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	/* another user's file is not written (only root can make one here) */
	if (geteuid() == 0) {
		CHECK_INT(chown("f", 65534, 65534), 0);
		CHECK_INT(fs_openat(dfd, "f", O_WRONLY, 0), -1);
		CHECK_INT(errno, EPERM);
		fd = fs_openat(dfd, "f", O_RDONLY, 0);
		CHECK(fd >= 0);
		close(fd);
	}
	close(dfd);
}

static const struct unit_case cases[] = {
	{ "openat2", test_openat2 },
	{ "fallback", test_fallback },
	{ "openat", test_openat },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("fsutil", cases, argc, argv);
}
