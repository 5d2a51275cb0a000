/*
 * vault.c - master key file handling and sealing; see vault.h.
 */
#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hex.h"
#include "log.h"

#define KEY_HEX_LEN (2 * TG_AEAD_KEY_LEN)
#define AAD_MAX 160

tg_status data_dir_ensure(const char *data_dir)
{
    struct stat st;

    if (mkdir(data_dir, 0700) == 0)
        return TG_OK;
    if (errno == EEXIST && stat(data_dir, &st) == 0 && S_ISDIR(st.st_mode))
        return TG_OK;
    return TG_ERR_IO;
}


static tg_status read_key_file(vault *v, const char *path)
{
    char buf[KEY_HEX_LEN + 2];
    ssize_t n;
    tg_status rc = TG_ERR_CRYPTO;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return TG_ERR_IO;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
        log_event(LOG_WARN, "master_key_permissions", "path", path, "hint",
                  "the master key file should be readable by its owner only (chmod 600)", NULL);
    n = read(fd, buf, sizeof buf);
    close(fd);
    if (n == KEY_HEX_LEN + 1 && buf[KEY_HEX_LEN] == '\n')
        n = KEY_HEX_LEN;
    if (n != KEY_HEX_LEN)
        goto out;
    for (size_t i = 0; i < TG_AEAD_KEY_LEN; i++) {
        int hi = hex_value(buf[2 * i]), lo = hex_value(buf[2 * i + 1]);
        if (hi < 0 || lo < 0)
            goto out;
        v->key[i] = (uint8_t)(hi << 4 | lo);
    }
    rc = TG_OK;
out:
    tg_cleanse(buf, sizeof buf);
    return rc;
}

static tg_status create_key_file(const char *path, const char *dir)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[TG_AEAD_KEY_LEN];
    char buf[KEY_HEX_LEN + 1];
    tg_status rc;
    int fd, dfd;

    if ((rc = tg_random_bytes(raw, sizeof raw)) != TG_OK)
        return rc;
    for (size_t i = 0; i < sizeof raw; i++) {
        buf[2 * i] = hex[raw[i] >> 4];
        buf[2 * i + 1] = hex[raw[i] & 15];
    }
    buf[KEY_HEX_LEN] = '\n';
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = errno == EEXIST ? TG_OK : TG_ERR_IO; /* another process won the race: use its key */
        goto out;
    }
    rc = TG_ERR_IO;
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || fsync(fd) != 0) {
        close(fd);
        unlink(path);
        goto out;
    }
    close(fd);
    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(dfd);
        close(dfd);
    }
    log_event(LOG_WARN, "master_key_created", "path", path, "hint",
              "back this file up separately from the database; without it no secret can be read", NULL);
    rc = TG_OK;
out:
    tg_cleanse(raw, sizeof raw);
    tg_cleanse(buf, sizeof buf);
    return rc;
}

tg_status vault_open(vault *v, const char *data_dir)
{
    const char *env = getenv("TOTPGATE_MASTER_KEY_FILE");
    char path[4096];
    tg_status rc;

    if (env != NULL && *env != '\0')
        return read_key_file(v, env);
    if (snprintf(path, sizeof path, "%s/master.key", data_dir) >= (int)sizeof path)
        return TG_ERR_INVALID_ARG;
    if ((rc = data_dir_ensure(data_dir)) != TG_OK)
        return rc;
    if (access(path, F_OK) != 0 && (rc = create_key_file(path, data_dir)) != TG_OK)
        return rc;
    return read_key_file(v, path);
}

void vault_close(vault *v)
{
    if (v != NULL)
        tg_cleanse(v->key, sizeof v->key);
}

static tg_status make_aad(char aad[AAD_MAX], size_t *len, const char *purpose, const char *id)
{
    int n = snprintf(aad, AAD_MAX, "totpgate/%s/%s", purpose, id);

    if (n < 0 || n >= AAD_MAX)
        return TG_ERR_INVALID_ARG;
    *len = (size_t)n;
    return TG_OK;
}

tg_status vault_seal(uint8_t *out, size_t out_cap, size_t *out_len, const vault *v, const char *purpose,
                     const char *id, const uint8_t *pt, size_t pt_len)
{
    char aad[AAD_MAX];
    size_t aad_len;
    tg_status rc;

    if (out_cap < pt_len + TG_AEAD_OVERHEAD)
        return TG_ERR_INVALID_ARG;
    if ((rc = make_aad(aad, &aad_len, purpose, id)) != TG_OK)
        return rc;
    return tg_aead_seal(out, out_len, v->key, (const uint8_t *)aad, aad_len, pt, pt_len);
}

tg_status vault_unseal(uint8_t *out, size_t out_cap, size_t *out_len, const vault *v, const char *purpose,
                       const char *id, const uint8_t *sealed, size_t sealed_len)
{
    char aad[AAD_MAX];
    size_t aad_len;
    tg_status rc;

    if (sealed_len < TG_AEAD_OVERHEAD || out_cap < sealed_len - TG_AEAD_OVERHEAD)
        return TG_ERR_CRYPTO;
    if ((rc = make_aad(aad, &aad_len, purpose, id)) != TG_OK)
        return rc;
    return tg_aead_open(out, out_len, v->key, (const uint8_t *)aad, aad_len, sealed, sealed_len);
}
