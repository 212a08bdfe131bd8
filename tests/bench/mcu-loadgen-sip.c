/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-loadgen SIP: one sofia-sip NUA on the GLib main loop (su_glib root,
 * su_root_threading (root, 0)) places every call, a few at a time, with our
 * own SDP (NUTAG_MEDIA_ENABLE (0)). Every nua_* call happens on the main
 * thread. */
#include "mcu-loadgen.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag_io.h>

#define SDP_TYPE  "application/sdp"
#define LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

static gchar *
offer_sdp (McuLoadgenCaller *c)
{
  g_autofree gchar *extmap =
      c->level_id ? g_strdup_printf (
                        "a=extmap:%u " LEVEL_URI " vad=on\r\n", c->level_id)
                  : g_strdup ("");

  return g_strdup_printf ("v=0\r\n"
                          "o=loadgen %u 1 IN IP4 127.0.0.1\r\n"
                          "s=mcu-loadgen\r\n"
                          "c=IN IP4 127.0.0.1\r\n"
                          "t=0 0\r\n"
                          "m=audio %u RTP/AVP %d\r\n"
                          "a=rtpmap:%d opus/48000/2\r\n"
                          "a=fmtp:%d useinbandfec=1\r\n"
                          "a=ptime:20\r\n"
                          "a=rtcp:%u\r\n"
                          "a=sendrecv\r\n"
                          "%s",
      g_random_int (), c->local_port, MCU_LOADGEN_OPUS_PT, MCU_LOADGEN_OPUS_PT,
      MCU_LOADGEN_OPUS_PT, c->local_port + 1, extmap);
}

/* Takes the RTP address and first payload type from the answer. Media on
 * anything but loopback is refused: this tool never sends off the host. */
static gboolean
parse_answer (McuLoadgenCaller *c, const sip_t *sip, gchar **why)
{
  g_autofree gchar *body = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree gchar *addr = NULL;
  guint port = 0, pt = 256, level_id = 0;

  if (!sip || !sip->sip_payload || sip->sip_payload->pl_len == 0) {
    *why = g_strdup ("200 without SDP");
    return FALSE;
  }
  body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  lines = g_strsplit_set (body, "\r\n", -1);
  for (guint i = 0; lines[i]; i++) {
    char ip[64];

    if (sscanf (lines[i], "c=IN IP4 %63s", ip) == 1) {
      g_free (addr);
      addr = g_strdup (ip);
    } else if (port == 0) {
      sscanf (lines[i], "m=audio %u RTP/AVP %u", &port, &pt);
    } else if (strstr (lines[i], LEVEL_URI) != NULL) {
      guint id = 0;

      /* (the answer echoes our id; anything else: we send none) */
      if (sscanf (lines[i], "a=extmap:%u", &id) == 1 && id == c->level_id)
        level_id = id;
    }
  }
  memset (&c->remote, 0, sizeof c->remote);
  c->remote.sin_family = AF_INET;
  c->remote.sin_port = htons (port);
  if (addr == NULL || port == 0 || port > 65535 || pt > 127 ||
      inet_pton (AF_INET, addr, &c->remote.sin_addr) != 1) {
    *why = g_strdup_printf ("unusable SDP answer:\n%s", body);
    return FALSE;
  }
  if ((ntohl (c->remote.sin_addr.s_addr) >> 24) != 127) {
    *why = g_strdup_printf ("SDP answer points at %s, not loopback", addr);
    return FALSE;
  }
  c->pt = pt;
  c->level_id = (guint8)level_id;
  return TRUE;
}

static void
on_nua_r_invite (McuLoadgen *lg, McuLoadgenCaller *c, int status,
    const char *phrase, const sip_t *sip)
{
  g_autofree gchar *why = NULL;

  if (status >= 200 && status < 300 && c->state == MCU_LOADGEN_CALL_ENDING)
    nua_bye (c->nh, TAG_END ()); /* the 200 crossed our CANCEL */
  if (status < 200 || c->state != MCU_LOADGEN_CALL_CALLING)
    return;
  lg->in_flight--;
  c->status = status;
  if (status < 300 && parse_answer (c, sip, &why)) {
    c->answer_us = g_get_monotonic_time ();
    c->state = MCU_LOADGEN_CALL_UP;
    mcu_loadgen_call_answered (lg, c);
  } else {
    if (status < 300)
      nua_bye (c->nh, TAG_END ());
    c->state = MCU_LOADGEN_CALL_FAILED;
    lg->n_failed++;
    if (lg->n_failed <= 3) {
      const sip_warning_t *w = sip ? sip->sip_warning : NULL;

      g_printerr ("mcu-loadgen: call %u: %d %s%s%s%s\n", c->index, status,
          phrase, w ? " (Warning: " : "", w ? w->w_text : "", w ? ")" : "");
      if (why)
        g_printerr ("mcu-loadgen: %s\n", why);
    }
  }
  mcu_loadgen_sip_dial_more (lg);
  mcu_loadgen_call_settled (lg);
}

static void
on_nua_i_state (
    McuLoadgen *lg, McuLoadgenCaller *c, nua_handle_t *nh, tagi_t tags[])
{
  int state = nua_callstate_init;

  tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
  if (state != nua_callstate_terminated)
    return;
  nua_handle_destroy (nh);
  if (c == NULL)
    return;
  c->nh = NULL;
  if (c->state == MCU_LOADGEN_CALL_UP) {
    c->dropped = TRUE;
    atomic_store (&c->sending, 0);
  }
  if (c->state != MCU_LOADGEN_CALL_FAILED)
    c->state = MCU_LOADGEN_CALL_ENDED;
  mcu_loadgen_call_ended (lg, c);
}

static void
on_nua_event (nua_event_t event, int status, char const *phrase, nua_t *nua,
    nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic,
    sip_t const *sip, tagi_t tags[])
{
  McuLoadgen *lg = (McuLoadgen *)magic;
  McuLoadgenCaller *c = (McuLoadgenCaller *)hmagic;

  switch (event) {
    case nua_r_invite:
      if (c)
        on_nua_r_invite (lg, c, status, phrase, sip);
      break;
    case nua_i_state:
      on_nua_i_state (lg, c, nh, tags);
      break;
    case nua_i_invite:
      nua_respond (nh, SIP_486_BUSY_HERE, TAG_END ());
      break;
    case nua_r_shutdown:
      if (status >= 200)
        mcu_loadgen_sip_stopped (lg);
      break;
    case nua_i_options:
      /* An out-of-dialog OPTIONS brings a handle of its own. */
      if (c == NULL && nh)
        nua_handle_destroy (nh);
      break;
    default:
      break;
  }
}

static void
place_call (McuLoadgen *lg, McuLoadgenCaller *c)
{
  g_autofree gchar *to = g_strdup_printf ("<%s>", lg->target);
  g_autofree gchar *from =
      g_strdup_printf ("<sip:loadgen%u@127.0.0.1>", c->index);
  g_autofree gchar *offer = offer_sdp (c);

  c->nh = nua_handle (lg->nua, (nua_hmagic_t *)c, SIPTAG_TO_STR (to),
      SIPTAG_FROM_STR (from), TAG_END ());
  c->state = MCU_LOADGEN_CALL_CALLING;
  c->invite_us = g_get_monotonic_time ();
  lg->in_flight++;
  nua_invite (c->nh, NUTAG_URL (lg->target), SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
      SIPTAG_PAYLOAD_STR (offer), TAG_END ());
}

void
mcu_loadgen_sip_dial_more (McuLoadgen *lg)
{
  while (!lg->tearing_down && lg->next_dial < lg->n &&
         lg->in_flight < (guint)lg->opt.concurrency)
    place_call (lg, &lg->callers[lg->next_dial++]);
}

/* sofia's own log (su_glib chatter at start-up and so on) is dropped:
 * what matters shows up as call statuses. */
static void
on_sofia_log (void *stream, char const *format, va_list args)
{
}

void
mcu_loadgen_sip_cancel_pending (McuLoadgen *lg)
{
  lg->next_dial = lg->n;
  for (guint i = 0; i < lg->n; i++) {
    McuLoadgenCaller *c = &lg->callers[i];

    if (c->state == MCU_LOADGEN_CALL_CALLING && c->nh) {
      nua_cancel (c->nh, TAG_END ());
      c->state = MCU_LOADGEN_CALL_ENDING;
    }
  }
  lg->in_flight = 0;
}

gboolean
mcu_loadgen_sip_start (McuLoadgen *lg, GError **error)
{
  su_log_redirect (NULL, on_sofia_log, NULL);
  lg->root = su_glib_root_create (lg);
  su_root_threading (lg->root, 0);
  g_source_attach (su_glib_root_gsource (lg->root), NULL);
  lg->nua = nua_create (lg->root, on_nua_event, (nua_magic_t *)lg,
      NUTAG_URL ("sip:127.0.0.1:*"), NUTAG_MEDIA_ENABLE (0),
      SIPTAG_USER_AGENT_STR ("mcu-loadgen"), TAG_END ());
  if (lg->nua == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot create the SIP agent on 127.0.0.1");
    return FALSE;
  }
  lg->target = g_strdup_printf (
      "sip:%s@127.0.0.1:%u", lg->opt.room, lg->server.sip_port);
  mcu_loadgen_sip_dial_more (lg);
  return TRUE;
}

guint
mcu_loadgen_sip_hangup_all (McuLoadgen *lg)
{
  guint pending = 0;

  for (guint i = 0; i < lg->n; i++) {
    McuLoadgenCaller *c = &lg->callers[i];

    atomic_store (&c->sending, 0);
    if (c->nh == NULL)
      continue;
    pending++;
    if (c->state == MCU_LOADGEN_CALL_UP) {
      nua_bye (c->nh, TAG_END ());
      c->state = MCU_LOADGEN_CALL_ENDING;
    } else if (c->state == MCU_LOADGEN_CALL_CALLING) {
      nua_cancel (c->nh, TAG_END ());
      c->state = MCU_LOADGEN_CALL_ENDING;
    }
  }
  return pending;
}

void
mcu_loadgen_sip_shutdown (McuLoadgen *lg)
{
  if (lg->nua)
    nua_shutdown (lg->nua);
  else
    mcu_loadgen_sip_stopped (lg);
}

void
mcu_loadgen_sip_free (McuLoadgen *lg)
{
  /* nua_destroy () releases the handles still around. */
  for (guint i = 0; i < lg->n; i++)
    lg->callers[i].nh = NULL;
  if (lg->nua)
    nua_destroy (lg->nua);
  lg->nua = NULL;
  if (lg->root)
    su_root_destroy (lg->root);
  lg->root = NULL;
  g_clear_pointer (&lg->target, g_free);
}
