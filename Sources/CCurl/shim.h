#ifndef PAIRDX_CCURL_SHIM_H
#define PAIRDX_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_multi_setopt are variadic, which Swift cannot call:
   one typed inline wrapper per argument kind. */
static inline CURLcode _pdx_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode _pdx_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode _pdx_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode _pdx_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode _pdx_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*_pdx_write_cb)(char *, size_t, size_t, void *);
static inline CURLcode _pdx_easy_setopt_writefn(CURL *h, CURLoption o, _pdx_write_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode _pdx_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode _pdx_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode _pdx_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode _pdx_easy_getinfo_str(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode _pdx_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
/* syncfs(2) is a GNU extension Glibc's module does not export: used once per fetch to make every
   downloaded file durable in one call. */
extern int syncfs(int fd);
static inline int _pdx_syncfs(int fd) { return syncfs(fd); }
#endif
