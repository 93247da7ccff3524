#ifndef PAIRDX_CCRYPTO_SHIM_H
#define PAIRDX_CCRYPTO_SHIM_H
/* OpenSSL's libcrypto, for SHA-256 and MD5 through the EVP interface. */
#include <openssl/evp.h>
#endif
