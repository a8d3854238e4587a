/*
 * cmd_saveconfig.c - `saveconfig [mask | encrypt passphrase=P]`: write the
 * running configuration to DIR/configuration/config-HOST-STAMP.json.
 *
 * AsyncOS asks how passphrases are written: masked (the file cannot be
 * loaded back, loadconfig refuses it) or encrypted under a passphrase the
 * operator gives twice (mail/cfgfile.h: Argon2id, then secretbox per
 * value). The passphrase is a secret word of the line (masked in
 * cli_logs). Pending changes are not saved: the file holds what runs.
 * Accounts are not saved (they are not configuration; cfgfile.h).
 *
 * Admins only (commands/roles.c): an encrypted file holds every secret,
 * which no other role can read back.
 *
 * DIAGNOSTICS: one error line; a file that could not be written whole is
 * removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "commands/cfgcmd.h"
#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "util/fsutil.h"
#include "util/str.h"

#define PASSPHRASE_MIN 8	/* characters of a passphrase */
#define PASSPHRASE_MAX 1024

extern const struct cmd_entry cmd_saveconfig_entry;

static const char *const options[] = {
	"Mask passphrases (Files with masked passphrases cannot be loaded using loadconfig "
	"command)",
	"Encrypt passphrases",
};

/*
 * file_name - "config-HOST-YYYYMMDDTHHMMSS.json", the host name made safe
 * for a file name; seq > 1: "-SEQ" before ".json" (a second save within
 * the same second)
 */
static void
file_name(const char *host, int seq, char *buf, size_t size)
{
	char safe[128], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	for (i = 0; host[i] && i < sizeof(safe) - 1; i++) {
		unsigned char ch = (unsigned char)host[i];

		safe[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ? (char)ch : '_';
	}
	safe[i] = '\0';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	if (seq > 1)
		snprintf(buf, size, "config-%s-%s-%d.json", safe[0] ? safe : "mxgate", stamp, seq);
	else
		snprintf(buf, size, "config-%s-%s.json", safe[0] ? safe : "mxgate", stamp);
}

/* write_all - text and a final newline into fd, on disk (fsync); 0 or an errno */
static int
write_all(int fd, const char *text)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		ssize_t r = write(fd, text + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? errno : EIO;
		done += (size_t)r;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		return errno ? errno : EIO;
	return 0;
}

/*
 * publish - the written .NAME.tmp becomes NAME, never replacing a file:
 * renameat2(RENAME_NOREPLACE), or link and unlink where the file system
 * has no such rename; 0 or an errno (EEXIST: NAME exists)
 */
static int
publish(int dfd, const char *tmp, const char *name)
{
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return errno;
	if (linkat(dfd, tmp, dfd, name, 0) < 0)
		return errno;
	unlinkat(dfd, tmp, 0);
	return 0;
}

/*
 * write_file - text into a new file NAME of the configuration directory
 * (0600); 1: NAME exists. Written whole under .NAME.tmp (a name loadconfig
 * does not offer), synced, then renamed to NAME and the directory synced:
 * a crash or a full disk never leaves a cut file under a name loadconfig
 * lists.
 */
static int
write_file(struct cli *c, const char *name, const char *text)
{
	char tmp[400];
	int dfd, fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp)) {
		cli_error(c, "Cannot save the configuration: the file name is too long.");
		return -1;
	}
	if ((dfd = cfgcmd_dir(c)) < 0)
		return -1;
	/* a .NAME.tmp there is another save of the same second (or one cut short): next name */
	fd = fs_openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		err = errno;
		if (err != EEXIST)
			cli_error(c, "Cannot create %s/%s/%s: %s", store_dir(c->st), CFGCMD_DIR,
			    tmp, fs_strerror(err));
		close(dfd);
		return err == EEXIST ? 1 : -1;
	}
	err = write_all(fd, text);
	if (close(fd) < 0 && err == 0)
		err = errno;
	if (err == 0) {
		err = publish(dfd, tmp, name);
		if (err == EEXIST) {
			unlinkat(dfd, tmp, 0);
			close(dfd);
			return 1;
		}
		if (err == 0 && fsync(dfd) < 0) {
			err = errno;	/* maybe not on disk: not kept, as said */
			unlinkat(dfd, name, 0);
		} else if (err) {
			unlinkat(dfd, tmp, 0);
		}
	} else {
		unlinkat(dfd, tmp, 0);
	}
	if (err)
		cli_error(c, "Cannot write %s/%s/%s: %s; nothing was saved.", store_dir(c->st),
		    CFGCMD_DIR, name, fs_strerror(err));
	close(dfd);
	return err ? -1 : 0;
}

/* ask_passphrase - twice, the same both times */
static enum cmd_ret
ask_passphrase(struct cli *c, char *out, size_t size)
{
	char again[PASSPHRASE_MAX + 1];
	enum ask_ret r;

	r = cli_ask_secret(c, "Enter a passphrase to encrypt the passphrases of the file:", 0, out,
	    size);
	if (r == ASK_ABORT)
		return CMD_ABORTED;
	if (r == ASK_BACK) {
		out[0] = '\0';		/* refused below as too short */
		return CMD_OK;
	}
	r = cli_ask_secret(c, "Please enter the passphrase again:", 0, again, sizeof(again));
	if (r != ASK_OK) {
		sodium_memzero(again, sizeof(again));
		return r == ASK_ABORT ? CMD_ABORTED : CMD_ERROR;
	}
	if (strcmp(out, again) != 0) {
		sodium_memzero(again, sizeof(again));
		cli_error(c, "The passphrases do not match; nothing was saved.");
		return CMD_ERROR;
	}
	sodium_memzero(again, sizeof(again));
	return CMD_OK;
}

static enum cmd_ret
saveconfig_exec(struct cli *c, int argc, char **argv)
{
	char pass[PASSPHRASE_MAX + 1] = "", name[320], *text, *cause = NULL;
	const char *mode;
	struct cfgfile f;
	int choice = 0, encrypt;
	enum cmd_ret ret = CMD_ERROR;

	if (argc == 0) {
		switch (cli_ask_list(c, "Choose the passphrase option:", options, 2, 1, &choice)) {
		case ASK_ABORT:
			return CMD_ABORTED;
		case ASK_BACK:
			return CMD_OK;
		case ASK_OK:
			break;
		}
		encrypt = choice == 1;
		if (encrypt && (ret = ask_passphrase(c, pass, sizeof(pass))) != CMD_OK)
			goto out;
		ret = CMD_ERROR;
	} else {
		mode = cmd_word_match(cmd_saveconfig_entry.words, argv[0]);
		if (mode == NULL)
			return cmd_usage_error(c, &cmd_saveconfig_entry, argv[0]);
		encrypt = strcmp(mode, "encrypt") == 0;
		if (!encrypt && argc > 1)
			return cmd_usage_error(c, &cmd_saveconfig_entry, "mask takes no passphrase");
		if (encrypt) {
			if (argc != 2 || strncasecmp(argv[1], "passphrase=", 11) != 0)
				return cmd_usage_error(c, &cmd_saveconfig_entry,
				    "encrypt needs passphrase=P");
			if (str_copy(pass, argv[1] + 11, sizeof(pass)) < 0) {
				cli_error(c, "A passphrase must be at most %d characters long.",
				    PASSPHRASE_MAX);
				goto out;
			}
		}
	}
	if (encrypt && strlen(pass) < PASSPHRASE_MIN) {
		cli_error(c, "A passphrase must be at least %d characters long; nothing was saved.",
		    PASSPHRASE_MIN);
		goto out;
	}
	if (cfgcmd_build(c, &f, encrypt) < 0)
		goto out;
	text = cfgfile_write(&f, encrypt ? pass : NULL, &cause);
	if (text == NULL) {
		cli_error(c, "Cannot save the configuration: %s", cause);
		free(cause);
		cfgfile_free(&f);
		goto out;
	}
	for (int seq = 1, r = 1; r == 1; seq++) {
		if (seq > 99) {
			cli_error(c, "Cannot save the configuration: too many files saved this "
				     "second.");
			break;
		}
		file_name(f.hostname, seq, name, sizeof(name));
		r = write_file(c, name, text);
		if (r == 0) {
			cli_printf(c, "The file %s has been saved in the configuration "
				      "directory.\n", name);
			ret = CMD_OK;
		}
	}
	cfgfile_free(&f);
	sodium_memzero(text, strlen(text));
	free(text);
out:
	sodium_memzero(pass, sizeof(pass));
	return ret;
}

static const struct cmd_word pass_words[] = {
	{ "passphrase=", "the passphrase that encrypts the file's secrets (8 characters or more)",
	    NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word saveconfig_words[] = {
	{ "mask", "write secrets masked (the file cannot be loaded)", NULL },
	{ "encrypt", "write secrets encrypted under a passphrase", pass_words },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_saveconfig_entry = {
	.name = "saveconfig",
	.usage = "saveconfig [mask | encrypt passphrase=PASSPHRASE]",
	.help = "Save the running configuration to a file.",
	.flags = CMD_F_ADMIN | CMD_F_SECRET_ARGS,
	.words = saveconfig_words,
	.exec = saveconfig_exec,
};
