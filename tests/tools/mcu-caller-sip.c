/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SIP side of mcu-test-caller: a sofia-sip NUA user agent on the GLib main
 * loop (su_glib root, su_root_threading (root, 0)), media disabled in NUA: we
 * write and read SDP ourselves. Every nua_* call happens on the main thread. */
#include "mcu-caller.h"

#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>
#include <glib/gstdio.h>

#define SDP_TYPE "application/sdp"

static gboolean
has_sdp (const sip_t *sip)
{
  return sip && sip->sip_payload && sip->sip_payload->pl_len > 0;
}

static gboolean
parse_sdp (McuCaller *c, const sip_t *sip, McuCallerSdpMedia *out)
{
  g_autoptr (GError) error = NULL;
  const McuCallerCodec *prefer = c->remote.codec ? c->remote.codec : c->codec;

  if (!has_sdp (sip)) {
    mcu_caller_log (c, "SDP expected but the message has no body");
    return FALSE;
  }
  if (!mcu_caller_sdp_parse (sip->sip_payload->pl_data,
          sip->sip_payload->pl_len, prefer, out, &error)) {
    mcu_caller_log (c, "bad SDP from peer: %s", error->message);
    return FALSE;
  }
  mcu_caller_video_parse_sdp (
      c, sip->sip_payload->pl_data, sip->sip_payload->pl_len, out);
  return TRUE;
}

/* The initial INVITE got a final response (caller mode). */
static void
on_invite_final (McuCaller *c, int status, const char *phrase, const sip_t *sip)
{
  McuCallerSdpMedia sdp = { 0 };
  g_autofree gchar *answer = NULL;

  c->status = status;
  mcu_caller_log (c, "INVITE answered %d %s", status, phrase);
  if (status >= 300) {
    c->call_over = TRUE;
    if (c->expect_status == status)
      mcu_caller_finish (c, MCU_CALLER_EXIT_OK, "got the expected %d", status);
    else
      mcu_caller_finish (c, MCU_CALLER_EXIT_STATUS,
          "INVITE failed: %d %s (expected %d)", status, phrase,
          c->expect_status ? c->expect_status : 200);
    return;
  }
  mcu_caller_call_started (c);
  if (c->expect_status && c->expect_status != status) {
    if (c->late_offer)
      nua_ack (c->nh, TAG_END ());
    mcu_caller_finish (c, MCU_CALLER_EXIT_STATUS,
        "INVITE answered %d, expected %d", status, c->expect_status);
    return;
  }
  if (!parse_sdp (c, sip, &sdp)) {
    if (c->late_offer)
      nua_ack (c->nh, TAG_END ());
    mcu_caller_finish (c, MCU_CALLER_EXIT_SDP, "unusable SDP in %d", status);
    return;
  }
  /* Late offer: answer with the offered codec (ours if offered). */
  mcu_caller_set_remote (c, &sdp);
  if (c->late_offer) {
    answer = mcu_caller_local_sdp (c,
        mcu_caller_direction_answer (c->remote.direction, c->local_dir), FALSE);
    nua_ack (c->nh, SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
        SIPTAG_PAYLOAD_STR (answer), TAG_END ());
  }
  mcu_caller_update_media (c);
}

static void
try_authenticate (McuCaller *c, int status, const sip_t *sip)
{
  msg_auth_t *au =
      status == 401 ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
  const char *realm = au ? msg_params_find (au->au_params, "realm=") : NULL;
  g_autofree gchar *cred = NULL;

  c->auth_tried = TRUE;
  cred = g_strdup_printf ("%s:%s:%s:%s", au ? au->au_scheme : "Digest",
      realm ? realm : "\"\"", c->from_user, c->password);
  mcu_caller_log (c, "authenticating as %s", c->from_user);
  nua_authenticate (c->nh, NUTAG_AUTH (cred), TAG_END ());
}

static void
on_nua_r_invite (McuCaller *c, int status, const char *phrase, const sip_t *sip)
{
  McuCallerSdpMedia sdp = { 0 };

  if (status < 200)
    return;
  if (c->state > MCU_CALLER_STATE_ACTIVE)
    return; /* e.g. 200 crossing our CANCEL: nua ACKs and BYEs it */
  if (c->state == MCU_CALLER_STATE_ACTIVE) {
    /* Our re-INVITE (hold / resume). */
    mcu_caller_log (c, "re-INVITE answered %d %s", status, phrase);
    g_array_append_val (c->reinvite_status, status);
    if (status < 300 && c->late_offer)
      nua_ack (c->nh, TAG_END ());
    if (status < 300 && parse_sdp (c, sip, &sdp)) {
      mcu_caller_set_remote (c, &sdp);
      mcu_caller_update_media (c);
    }
    return;
  }
  if ((status == 401 || status == 407) && c->password && !c->auth_tried) {
    try_authenticate (c, status, sip);
    return;
  }
  on_invite_final (c, status, phrase, sip);
}

static void
respond_sdp (McuCaller *c, nua_handle_t *nh, const char *sdp)
{
  nua_respond (nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
      SIPTAG_PAYLOAD_STR (sdp), TAG_END ());
}

/* Whether we can answer an offer: same codec as the running call, or the
 * codec asked for with --codec. */
static gboolean
offer_acceptable (McuCaller *c, const McuCallerSdpMedia *sdp)
{
  const McuCallerCodec *want = c->remote.codec ? c->remote.codec : c->codec;

  if (!want || sdp->codec == want)
    return TRUE;
  mcu_caller_log (c, "offer has no %s, answering 488", want->name);
  return FALSE;
}

/* An INVITE with an offer (new call in answer mode, or a re-INVITE). */
static void
answer_offer (McuCaller *c, nua_handle_t *nh, const sip_t *sip)
{
  McuCallerSdpMedia sdp = { 0 };
  g_autofree gchar *answer = NULL;

  if (!parse_sdp (c, sip, &sdp) || !offer_acceptable (c, &sdp)) {
    nua_respond (nh, SIP_488_NOT_ACCEPTABLE, TAG_END ());
    mcu_caller_sdp_media_clear (&sdp);
    if (c->state < MCU_CALLER_STATE_ACTIVE) {
      c->status = 488;
      mcu_caller_set_result (c, MCU_CALLER_EXIT_SDP, "rejected the offer");
    }
    return;
  }
  mcu_caller_set_remote (c, &sdp);
  if (c->state < MCU_CALLER_STATE_ACTIVE)
    mcu_caller_call_started (c);
  answer = mcu_caller_local_sdp (c,
      mcu_caller_direction_answer (c->remote.direction, c->local_dir), FALSE);
  respond_sdp (c, nh, answer);
  mcu_caller_update_media (c);
}

static void
on_nua_i_invite (McuCaller *c, nua_handle_t *nh, const sip_t *sip)
{
  g_autofree gchar *offer = NULL;

  if (c->nh && nh != c->nh) {
    nua_respond (nh, SIP_486_BUSY_HERE, TAG_END ());
    return;
  }
  if (!c->nh) {
    if (!c->answer || c->state != MCU_CALLER_STATE_IDLE) {
      nua_respond (nh, SIP_486_BUSY_HERE, TAG_END ());
      return;
    }
    c->nh = nh;
    nua_handle_bind (nh, c);
    c->state = MCU_CALLER_STATE_CALLING;
    mcu_caller_log (c, "incoming call from %s",
        sip && sip->sip_from ? sip->sip_from->a_url->url_user : "?");
    if (c->answer_status) {
      c->status = c->answer_status;
      nua_respond (nh, c->answer_status, sip_status_phrase (c->answer_status),
          TAG_END ());
      return;
    }
  }
  if (has_sdp (sip)) {
    answer_offer (c, nh, sip);
    return;
  }
  /* No offer: we offer in the 200 and expect the answer in the ACK. */
  if (c->state < MCU_CALLER_STATE_ACTIVE)
    mcu_caller_call_started (c);
  offer = mcu_caller_local_sdp (c, c->local_dir, TRUE);
  respond_sdp (c, nh, offer);
}

static void
on_nua_i_ack (McuCaller *c, const sip_t *sip)
{
  McuCallerSdpMedia sdp = { 0 };

  if (!has_sdp (sip)) {
    if (!c->remote.codec)
      mcu_caller_finish (c, MCU_CALLER_EXIT_SDP, "ACK without SDP answer");
    return;
  }
  if (!parse_sdp (c, sip, &sdp)) {
    mcu_caller_finish (c, MCU_CALLER_EXIT_SDP, "bad SDP answer in ACK");
    return;
  }
  mcu_caller_set_remote (c, &sdp);
  mcu_caller_update_media (c);
}

static void
on_nua_i_state (McuCaller *c, nua_handle_t *nh, tagi_t tags[])
{
  int state = nua_callstate_init;

  tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
  if (state != nua_callstate_terminated)
    return;
  nua_handle_destroy (nh);
  if (nh != c->nh)
    return; /* a call we turned away */
  c->nh = NULL;
  c->call_over = TRUE;
  if (c->state == MCU_CALLER_STATE_HANGUP)
    mcu_caller_advance (c);
  if (c->state >= MCU_CALLER_STATE_HANGUP)
    return;
  if (c->bye_from_peer && c->answer)
    mcu_caller_finish (c, MCU_CALLER_EXIT_OK, "peer hung up");
  else if (c->bye_from_peer)
    mcu_caller_finish (c, MCU_CALLER_EXIT_BYE, "server hung up first");
  else if (c->answer && c->answer_status)
    mcu_caller_finish (c, MCU_CALLER_EXIT_OK, NULL);
  else
    mcu_caller_finish (c, MCU_CALLER_EXIT_FAILURE, "call ended unexpectedly");
}

static void
on_nua_i_bye (McuCaller *c)
{
  mcu_caller_log (c, "BYE from peer");
  c->bye_from_peer = TRUE;
}

static void
on_nua_r_shutdown (McuCaller *c, int status)
{
  if (status >= 200 && c->state == MCU_CALLER_STATE_SHUTDOWN)
    mcu_caller_advance (c);
}

static void
on_nua_event (nua_event_t event, int status, char const *phrase, nua_t *nua,
    nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic,
    sip_t const *sip, tagi_t tags[])
{
  McuCaller *c = magic;

  switch (event) {
    case nua_r_invite:
      on_nua_r_invite (c, status, phrase, sip);
      break;
    case nua_i_invite:
      on_nua_i_invite (c, nh, sip);
      break;
    case nua_i_ack:
      on_nua_i_ack (c, sip);
      break;
    case nua_i_state:
      on_nua_i_state (c, nh, tags);
      break;
    case nua_i_bye:
      on_nua_i_bye (c);
      break;
    case nua_r_bye:
      if (status >= 200)
        mcu_caller_log (c, "BYE answered %d %s", status, phrase);
      break;
    case nua_r_shutdown:
      on_nua_r_shutdown (c, status);
      break;
    case nua_i_error:
      mcu_caller_log (c, "nua error %d %s", status, phrase);
      break;
    default:
      if (status >= 300)
        mcu_caller_log (c, "%s: %d %s", nua_event_name (event), status, phrase);
      break;
  }
}

static gchar *
request_uri (McuCaller *c)
{
  if (g_strcmp0 (c->transport, "udp") == 0 || strstr (c->uri, "transport="))
    return g_strdup (c->uri);
  return g_strdup_printf ("%s;transport=%s", c->uri, c->transport);
}

static void
place_call (McuCaller *c)
{
  g_autofree gchar *target = request_uri (c);
  g_autofree gchar *to = g_strdup_printf ("<%s>", c->uri);
  g_autofree gchar *from = g_strdup_printf (
      "\"%s\" <sip:%s@%s>", c->display_name, c->from_user, c->local_ip);
  g_autofree gchar *offer = NULL;

  c->nh = nua_handle (c->nua, c, SIPTAG_TO_STR (to), SIPTAG_FROM_STR (from),
      NUTAG_AUTOACK (!c->late_offer), TAG_END ());
  c->state = MCU_CALLER_STATE_CALLING;
  c->invite_us = g_get_real_time ();
  mcu_caller_log (c, "calling %s (%s, %s offer)", target, c->codec->name,
      c->late_offer ? "late" : "early");
  if (c->late_offer) {
    nua_invite (c->nh, NUTAG_URL (target), TAG_END ());
    return;
  }
  offer = mcu_caller_local_sdp (c, c->local_dir, TRUE);
  nua_invite (c->nh, NUTAG_URL (target), SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
      SIPTAG_PAYLOAD_STR (offer), TAG_END ());
}

/* sofia's own log (SU_DEBUG=N, TPORT_LOG=1, ...) goes to stderr with our
 * prefix; quiet unless asked for. */
static void
on_su_log (void *user_data, char const *format, va_list args)
{
  McuCaller *c = user_data;
  g_autofree gchar *text = g_strdup_vprintf (format, args);

  g_printerr ("%s: sofia: %s", c->display_name, text);
}

static void
setup_sofia_log (McuCaller *c)
{
  su_log_redirect (NULL, on_su_log, c);
  if (!g_getenv ("SU_DEBUG"))
    su_log_set_level (NULL, 0);
}

/* --transport=tls: sofia-sip reads the CAs it trusts from DIR/cafile.pem
 * (and, were it given one, a client certificate from DIR/agent.pem). */
static gboolean
make_tls_dir (McuCaller *c, GError **error)
{
  g_autofree gchar *ca = NULL;
  g_autofree gchar *path = NULL;

  if (!g_file_get_contents (c->tls_ca, &ca, NULL, error))
    return FALSE;
  c->tls_dir = g_dir_make_tmp ("mcu-caller-tls-XXXXXX", error);
  if (c->tls_dir == NULL)
    return FALSE;
  path = g_build_filename (c->tls_dir, "cafile.pem", NULL);
  return g_file_set_contents (path, ca, -1, error);
}

static void
remove_tls_dir (McuCaller *c)
{
  const gchar *names[] = { "cafile.pem", "tls_seed.dat", NULL };

  if (c->tls_dir == NULL)
    return;
  for (guint i = 0; names[i]; i++) {
    g_autofree gchar *path = g_build_filename (c->tls_dir, names[i], NULL);

    g_unlink (path);
  }
  g_rmdir (c->tls_dir);
}

gboolean
mcu_caller_sip_start (McuCaller *c, GError **error)
{
  gboolean tls = g_strcmp0 (c->transport, "tls") == 0;
  g_autofree gchar *bind =
      c->answer ? g_strdup (c->uri) : g_strdup_printf ("sip:%s:*", c->local_ip);
  g_autofree gchar *sips_bind =
      tls ? g_strdup_printf ("sips:%s:*", c->local_ip) : NULL;

  setup_sofia_log (c);
  if (tls && !make_tls_dir (c, error))
    return FALSE;
  c->root = su_glib_root_create (c);
  su_root_threading (c->root, 0);
  g_source_attach (su_glib_root_gsource (c->root), NULL);
  c->nua = nua_create (c->root, on_nua_event, c, NUTAG_URL (bind),
      NUTAG_MEDIA_ENABLE (0), NUTAG_AUTOANSWER (0),
      NUTAG_M_USERNAME (c->from_user),
      TAG_IF (g_strcmp0 (c->transport, "tcp") == 0,
          NUTAG_M_PARAMS ("transport=tcp")),
      TAG_IF (tls, NUTAG_SIPS_URL (sips_bind)),
      TAG_IF (tls, TPTAG_CERTIFICATE (c->tls_dir)),
      TAG_IF (tls, NUTAG_M_PARAMS ("transport=tls")),
      SIPTAG_USER_AGENT_STR ("mcu-test-caller"), TAG_END ());
  if (!c->nua) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot create SIP agent on %s (port taken?)", bind);
    return FALSE;
  }
  if (c->answer)
    mcu_caller_log (c, "listening on %s", bind);
  else
    place_call (c);
  return TRUE;
}

void
mcu_caller_sip_hangup (McuCaller *c)
{
  if (!c->nh)
    return;
  if (c->state == MCU_CALLER_STATE_ACTIVE) {
    mcu_caller_log (c, "sending BYE");
    nua_bye (c->nh, TAG_END ());
  } else if (!c->answer) {
    mcu_caller_log (c, "sending CANCEL");
    nua_cancel (c->nh, TAG_END ());
  } else {
    nua_respond (c->nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END ());
  }
}

void
mcu_caller_sip_reinvite (McuCaller *c, McuCallerDirection direction)
{
  g_autofree gchar *offer = NULL;

  if (!c->nh || c->state != MCU_CALLER_STATE_ACTIVE)
    return;
  c->local_dir = direction;
  offer = mcu_caller_local_sdp (c, direction, TRUE);
  mcu_caller_log (
      c, "re-INVITE with a=%s", mcu_caller_direction_to_string (direction));
  nua_invite (c->nh, SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
      SIPTAG_PAYLOAD_STR (offer), TAG_END ());
}

void
mcu_caller_sip_shutdown (McuCaller *c)
{
  if (!c->nua) {
    mcu_caller_advance (c);
    return;
  }
  nua_shutdown (c->nua);
}

void
mcu_caller_sip_free (McuCaller *c)
{
  /* nua_destroy() releases the handles still around. */
  c->nh = NULL;
  if (c->nua)
    nua_destroy (c->nua);
  c->nua = NULL;
  if (c->root)
    su_root_destroy (c->root);
  c->root = NULL;
  remove_tls_dir (c);
}
