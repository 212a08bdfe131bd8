/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SDES keys from the SDP (sip/) to the media's SRTP keys (mixer/),
 * for the audio and the video of a call leg. */
#pragma once

#include <string.h>

#include "mcu-sip.h"
#include "mcu-mixer.h"

G_BEGIN_DECLS

static inline McuMediaSrtpSuite
mcu_call_srtp_suite (McuSdpCryptoSuite suite)
{
  switch (suite) {
    case MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80:
      return MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80;
    case MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32:
      return MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32;
    case MCU_SDP_CRYPTO_AEAD_AES_128_GCM:
      return MCU_MEDIA_SRTP_AEAD_AES_128_GCM;
    default:
      return MCU_MEDIA_SRTP_NONE;
  }
}

static inline void
mcu_call_srtp_key (McuMediaSrtpKey *key, const McuSdpCrypto *crypto)
{
  memset (key, 0, sizeof *key);
  key->suite = mcu_call_srtp_suite (crypto->suite);
  if (key->suite == MCU_MEDIA_SRTP_NONE || crypto->key_len > sizeof key->key)
    return;
  key->key_len = crypto->key_len;
  memcpy (key->key, crypto->key, crypto->key_len);
}

/* Our key stays the one we had while the suite does (a re-INVITE re-keys
 * only what the caller sends); the tag is the new offer's. */
static inline void
mcu_call_srtp_keep_local (McuSdpCrypto *next, const McuSdpCrypto *current)
{
  if (next->suite != MCU_SDP_CRYPTO_NONE && next->suite == current->suite) {
    guint tag = next->tag;

    *next = *current;
    next->tag = tag;
  }
}

G_END_DECLS
