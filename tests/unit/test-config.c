/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the config loader: defaults, values, and errors that name
 * the file, the group and the key. */
#include "mcu-config.h"
#include "mcu-rooms.h"

#include <string.h>

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c = mcu_config_load_data ("", "empty.conf", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (c->sip_port, ==, 5060);
  g_assert_true (c->sip_udp && c->sip_tcp);
  g_assert_false (c->sip_tls);
  g_assert_cmpuint (c->sip_tls_port, ==, 5061);
  g_assert_false (c->tls_verify_client);
  g_assert_cmpuint (c->rtp_timeout, ==, 30);
  g_assert_true (c->auto_create);
  g_assert_null (c->recording_dir);
  g_assert_true (c->recording_announce);
  g_assert_cmpuint (c->recording_width, ==, 1280);
  g_assert_cmpuint (c->recording_height, ==, 720);
  g_assert_cmpstr (c->codecs[0], ==, "opus");
  g_assert_cmpint (c->noise_gate, ==, -55);
  g_assert_cmpuint (c->max_talkers, ==, 8);
  g_assert_cmpuint (c->parallel_encode_ms, ==, 5);
  g_assert_cmpuint (c->srtp, ==, 1); /* optional */
  g_assert_false (c->srtp_allow_insecure_keys);
  g_assert_cmpstr (c->auth_realm, ==, c->sip_domain);
  g_assert_true (c->auth_register);
  g_assert_false (c->auth_invite);
  g_assert_cmpuint (c->min_expires, ==, 60);
  g_assert_null (c->control_http);
  g_assert_cmpuint (c->control_max_connections, ==, 64);
  g_assert_cmpuint (c->control_idle_timeout, ==, 30);
  g_assert_cmpuint (c->control_event_backlog, ==, 1024);
  g_assert_true (c->video_enabled);
  g_assert_cmpstr (c->video_codecs[0], ==, "h264");
  g_assert_cmpuint (c->video_width, ==, 1280);
}

static void
test_tls (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c = mcu_config_load_data (
      "[sip]\ntransports=udp, tls\ntls-port=5071\n"
      "[tls]\ncertificate=/etc/mcu/cert.pem\nkey=/etc/mcu/key.pem\n"
      "ca=/etc/mcu/ca.pem\nverify-client=true\n",
      "tls.conf", &error);

  g_assert_no_error (error);
  g_assert_true (c->sip_udp && !c->sip_tcp && c->sip_tls);
  g_assert_cmpuint (c->sip_tls_port, ==, 5071);
  g_assert_cmpstr (c->tls_certificate, ==, "/etc/mcu/cert.pem");
  g_assert_cmpstr (c->tls_key, ==, "/etc/mcu/key.pem");
  g_assert_cmpstr (c->tls_ca, ==, "/etc/mcu/ca.pem");
  g_assert_true (c->tls_verify_client);
}

static void
test_new_groups (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c = mcu_config_load_data (
      "[sip]\ndomain=example.com\n"
      "[auth]\ninvite=true\nmax-failures=3\n"
      "[user:alice]\npassword=secret\ndisplay=Alice A.\n"
      "[user:bob]\nha1=0123456789abcdef0123456789ABCDEF\n"
      "[registrar]\nmin-expires=30\nmax-expires=7200\n"
      "[storage]\ndatabase=/tmp/x.db\n"
      "[control]\nsocket=/tmp/c.sock\nhttp=127.0.0.1:8088\ntoken=t0k\n"
      "max-connections=5\nidle-timeout=2\nevent-backlog=64\n"
      "[video]\ncodecs=vp8\nwidth=640\nheight=360\nframerate=15\n"
      "[room:r]\npin=4321\nself-view=false\nrecord=auto\n"
      "[recording]\ndir=/tmp/rec\nwidth=640\nheight=360\nbitrate=800\n"
      "max-active=2\nmax-streams=1\nannounce=false\nsegment-seconds=600\n"
      "[limits]\ninvite-rate=0\nregister-burst=7\nmax-calls=3\n"
      "no-media-timeout=0\nmax-message-size=4096\n",
      "t.conf", &error);
  McuConfigUser *alice, *bob;
  McuConfigRoom *r;

  g_assert_no_error (error);
  g_assert_cmpuint (c->invite_rate, ==, 0);
  g_assert_cmpuint (c->invite_burst, ==, 10);
  g_assert_cmpuint (c->register_burst, ==, 7);
  g_assert_cmpuint (c->max_calls, ==, 3);
  g_assert_cmpuint (c->max_half_open_per_source, ==, 10);
  g_assert_cmpuint (c->no_media_timeout, ==, 0);
  g_assert_cmpuint (c->max_message_size, ==, 4096);
  g_assert_cmpuint (c->max_contacts, ==, 10);
  g_assert_cmpstr (c->auth_realm, ==, "example.com");
  g_assert_true (c->auth_invite);
  g_assert_cmpuint (c->auth_max_failures, ==, 3);
  g_assert_cmpuint (c->users->len, ==, 2);
  alice = g_ptr_array_index (c->users, 0);
  bob = g_ptr_array_index (c->users, 1);
  if (g_str_equal (alice->name, "bob")) {
    McuConfigUser *t = alice;
    alice = bob;
    bob = t;
  }
  g_assert_cmpstr (alice->password, ==, "secret");
  g_assert_cmpstr (alice->display, ==, "Alice A.");
  g_assert_null (alice->ha1);
  g_assert_cmpstr (bob->ha1, ==, "0123456789abcdef0123456789ABCDEF");
  g_assert_cmpuint (c->min_expires, ==, 30);
  g_assert_cmpuint (c->max_expires, ==, 7200);
  g_assert_cmpstr (c->database, ==, "/tmp/x.db");
  g_assert_cmpstr (c->control_socket, ==, "/tmp/c.sock");
  g_assert_cmpstr (c->control_http, ==, "127.0.0.1:8088");
  g_assert_cmpstr (c->control_token, ==, "t0k");
  g_assert_cmpuint (c->control_max_connections, ==, 5);
  g_assert_cmpuint (c->control_idle_timeout, ==, 2);
  g_assert_cmpuint (c->control_event_backlog, ==, 64);
  g_assert_cmpstr (c->video_codecs[0], ==, "vp8");
  g_assert_null (c->video_codecs[1]);
  g_assert_cmpuint (c->video_framerate, ==, 15);
  r = g_ptr_array_index (c->rooms, 0);
  g_assert_cmpstr (r->pin, ==, "4321");
  g_assert_false (r->self_view);
  g_assert_true (r->record);
  g_assert_cmpstr (c->recording_dir, ==, "/tmp/rec");
  g_assert_cmpuint (c->recording_width, ==, 640);
  g_assert_cmpuint (c->recording_height, ==, 360);
  g_assert_cmpuint (c->recording_bitrate, ==, 800);
  g_assert_cmpuint (c->recording_max_active, ==, 2);
  g_assert_cmpuint (c->recording_max_streams, ==, 1);
  g_assert_false (c->recording_announce);
  g_assert_cmpuint (c->recording_segment_seconds, ==, 600);
}

static void
test_values (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c = mcu_config_load_data (
      "[sip]\nlisten=127.0.0.2\nport=5080\ntransports=tcp\n"
      "[media]\nrtp-port-min=30000\nrtp-port-max=30099\ncodecs=pcmu, opus\n"
      "noise-gate=-50\nmax-talkers=4\nparallel-encode-ms=0\n"
      "codec-order=server\n"
      "srtp=mandatory\nsrtp-allow-insecure-keys=true\n"
      "[rooms]\nauto-create=false\nmax-participants=7\n"
      "[room:board]\nlayout=speaker\n[room:big]\nmax-participants=100\n",
      "t.conf", &error);
  McuConfigRoom *board, *big;

  g_assert_no_error (error);
  g_assert_cmpstr (c->sip_listen, ==, "127.0.0.2");
  g_assert_cmpuint (c->sip_port, ==, 5080);
  g_assert_false (c->sip_udp);
  g_assert_true (c->sip_tcp);
  g_assert_cmpuint (g_strv_length (c->codecs), ==, 2);
  g_assert_cmpstr (c->codecs[0], ==, "pcmu");
  g_assert_true (c->codec_server_order);
  g_assert_cmpint (c->noise_gate, ==, -50);
  g_assert_cmpuint (c->max_talkers, ==, 4);
  g_assert_cmpuint (c->parallel_encode_ms, ==, 0);
  g_assert_cmpuint (c->srtp, ==, 2);
  g_assert_true (c->srtp_allow_insecure_keys);
  g_assert_false (c->auto_create);
  g_assert_cmpuint (c->rooms->len, ==, 2);
  board = g_ptr_array_index (c->rooms, 0);
  big = g_ptr_array_index (c->rooms, 1);
  if (g_str_equal (board->name, "big")) {
    McuConfigRoom *t = board;
    board = big;
    big = t;
  }
  /* a room inherits [rooms] max-participants unless it sets its own */
  g_assert_cmpuint (board->max_participants, ==, 7);
  g_assert_cmpstr (board->layout, ==, "speaker");
  g_assert_cmpuint (big->max_participants, ==, 100);
}

typedef struct
{
  const gchar *text;
  gint code;
  const gchar *mentions; /* the error message names this */
} BadCase;

static const BadCase bad_cases[] = {
  { "[media]\nsrtp=yes\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[media] srtp: 'yes': expected off, optional or mandatory" },
  { "[media]\nsrtp-allow-insecure-keys=maybe\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[media] srtp-allow-insecure-keys" },
  { "[sip]\nprot=5060\n", MCU_CONFIG_ERROR_UNKNOWN_KEY,
      "bad.conf: [sip] prot" },
  { "[sipp]\nport=5060\n", MCU_CONFIG_ERROR_UNKNOWN_GROUP, "[sipp]" },
  { "[sip]\nport=70000\n", MCU_CONFIG_ERROR_BAD_VALUE, "[sip] port" },
  { "[sip]\nport=abc\n", MCU_CONFIG_ERROR_BAD_VALUE, "[sip] port" },
  { "[sip]\nlisten=localhost\n", MCU_CONFIG_ERROR_BAD_VALUE, "[sip] listen" },
  /* the any address goes into SDP c= (hold) and the Contact: refused */
  { "[sip]\nlisten=0.0.0.0\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "bad.conf: [sip] listen: '0.0.0.0' (any address) cannot be sent to" },
  { "[media]\naddress=0.0.0.0\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "bad.conf: [media] address: '0.0.0.0' (any address)" },
  { "[media]\naddress=::\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[media] address: '::' (any address)" },
  { "[media]\naddress=239.1.1.1\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[media] address: '239.1.1.1' is a multicast address" },
  { "[sip]\ntransports=sctp\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[sip] transports" },
  { "[media]\ncodecs=g729\n", MCU_CONFIG_ERROR_BAD_VALUE, "[media] codecs" },
  { "[media]\nrtp-port-min=30000\nrtp-port-max=20000\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[media] rtp-port-max" },
  { "[rooms]\nauto-create=yes\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[rooms] auto-create" },
  { "[room:a b]\nmax-participants=3\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[room:a b]" },
  { "[room:x]\npinn=1234\n", MCU_CONFIG_ERROR_UNKNOWN_KEY, "[room:x] pinn" },
  { "[room:x]\nself-view=maybe\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[room:x] self-view" },
  { "[user:alice]\ndisplay=Alice\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[user:alice] password" },
  { "[user:alice]\npassword=a\nha1=0123456789abcdef0123456789abcdef\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[user:alice] password" },
  { "[user:bob]\nha1=xyz\n", MCU_CONFIG_ERROR_BAD_VALUE, "[user:bob] ha1" },
  { "[user:a b]\npassword=x\n", MCU_CONFIG_ERROR_BAD_VALUE, "[user:a b]" },
  { "[auth]\nnonce-lifetime=0\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[auth] nonce-lifetime" },
  { "[auth]\nalgorithms=sha-1\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[auth] algorithms" },
  { "[registrar]\nmin-expires=600\nmax-expires=60\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[registrar] min-expires" },
  { "[control]\nhttp=127.0.0.1:8088\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[control] token" },
  { "[control]\nhttp=localhost\ntoken=t\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[control] http" },
  { "[control]\nmax-connections=0\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[control] max-connections" },
  { "[control]\nidle-timeout=0\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[control] idle-timeout" },
  { "[control]\nevent-backlog=1\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[control] event-backlog" },
  { "[storage]\nbackend=mysql\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[storage] backend" },
  { "[storage]\nbackend=postgresql\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[storage] dsn" },
  { "[room:..]\n", MCU_CONFIG_ERROR_BAD_VALUE, "[room:..]" },
  { "[video]\ncodecs=h263\n", MCU_CONFIG_ERROR_BAD_VALUE, "[video] codecs" },
  { "[video]\nframerate=0\n", MCU_CONFIG_ERROR_BAD_VALUE, "[video] framerate" },
  { "[media]\nnoise-gate=5\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[media] noise-gate" },
  { "[media]\nmax-talkers=-1\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[media] max-talkers" },
  { "[room:x]\nlayout=mosaic\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[room:x] layout" },
  { "[room:x]\nrecord=yes\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[room:x] record: 'yes': expected auto or off" },
  { "[recording]\nwidth=10\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[recording] width" },
  { "[recording]\nfolder=/x\n", MCU_CONFIG_ERROR_UNKNOWN_KEY,
      "[recording] folder" },
  { "[recording]\nsegment-seconds=86401\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[recording] segment-seconds" },
  { "[recording]\nannounce=yes\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[recording] announce: 'yes' is not true or false" },
  { "[room:x]\nmute-guests=yes\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "bad.conf: [room:x] mute-guests: 'yes' is not true or false" },
  { "[controls]\ncaller=0=mute;0=deaf\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "bad.conf: [controls] caller: '0' is bound twice" },
  { "[controls]\ncaller=7=lock\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[controls] caller: 'lock' is a moderator action" },
  { "[controls]\nmoderator=9=explode\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[controls] moderator: 'explode': unknown action" },
  { "[limits]\nmax-message-size=100\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[limits] max-message-size" },
  { "[limits]\ninvite-burst=0\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[limits] invite-burst" },
  { "[limits]\ninvite-rat=5\n", MCU_CONFIG_ERROR_UNKNOWN_KEY,
      "[limits] invite-rat" },
  { "[registrar]\nmax-contacts=0\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[registrar] max-contacts" },
  { "[sip]\ntransports=udp,tls\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "bad.conf: [tls] certificate: required with tls in [sip] transports" },
  { "[sip]\ntransports=tls\n[tls]\ncertificate=/c.pem\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[tls] key: required" },
  { "[sip]\ntransports=tls\n[tls]\ncertificate=/c.pem\nkey=/k.pem\n"
    "verify-client=true\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[tls] ca: required with verify-client" },
  { "[sip]\ntransports=tcp,tls\nport=5070\ntls-port=5070\n[tls]\n"
    "certificate=/c.pem\nkey=/k.pem\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[sip] tls-port: 5070 is also the TCP port" },
  { "[sip]\ntls-port=0\n", MCU_CONFIG_ERROR_BAD_VALUE, "[sip] tls-port" },
  { "[tls]\nverify-client=maybe\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[tls] verify-client" },
  { "[tls]\ncert=/c.pem\n", MCU_CONFIG_ERROR_UNKNOWN_KEY, "[tls] cert" },
  { "[sip]\ntransports=udp,dtls\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "expected a list of udp, tcp, tls" },
  { "not a key file", MCU_CONFIG_ERROR_READ, "bad.conf" },
  { "[cluster]\nnode=n1\n", MCU_CONFIG_ERROR_BAD_VALUE,
      "[cluster] node: needs [storage] backend=postgresql" },
  { "[storage]\nbackend=postgresql\ndsn=x\n[cluster]\nnode=a b\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[cluster] node: 1-64 of" },
  { "[storage]\nbackend=postgresql\ndsn=x\n[cluster]\nnode=n1\n"
    "heartbeat=5\ndead-after=5\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[cluster] dead-after: must be more" },
  { "[storage]\nbackend=postgresql\ndsn=x\n[cluster]\nnode=n1\n"
    "sip-uri=10.0.0.1\n",
      MCU_CONFIG_ERROR_BAD_VALUE, "[cluster] sip-uri" },
  { "[cluster]\nnodes=n1\n", MCU_CONFIG_ERROR_UNKNOWN_KEY, "[cluster] nodes" },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *bc = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c = mcu_config_load_data (bc->text, "bad.conf", &error);

  g_assert_null (c);
  g_assert_error (error, MCU_CONFIG_ERROR, bc->code);
  g_assert_nonnull (strstr (error->message, bc->mentions));
}

/* PINs, roles and keypad controls. */
static void
test_ivr_keys (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c = mcu_config_load_data (
      "[room:r]\npin=1234\nmoderator-pin=9999\nwait-for-moderator=true\n"
      "end-when-moderator-leaves=true\nmute-guests=true\n"
      "announce-alone=false\nannounce-join-leave=true\n"
      "[room:plain]\n"
      "[controls]\ncaller=0=mute;#=hangup\nmoderator=\n",
      "t.conf", &error);
  g_autoptr (McuConfig) d = mcu_config_new_default ();
  McuConfigRoom *r, *plain;

  g_assert_no_error (error);
  r = g_ptr_array_index (c->rooms, 0);
  plain = g_ptr_array_index (c->rooms, 1);
  if (g_str_equal (r->name, "plain")) {
    McuConfigRoom *t = r;
    r = plain;
    plain = t;
  }
  g_assert_cmpstr (r->moderator_pin, ==, "9999");
  g_assert_cmpuint (r->options, ==,
      MCU_ROOM_OPTION_WAIT_FOR_MODERATOR |
          MCU_ROOM_OPTION_END_WHEN_MODERATOR_LEAVES |
          MCU_ROOM_OPTION_MUTE_GUESTS | MCU_ROOM_OPTION_ANNOUNCE_JOIN_LEAVE);
  g_assert_cmpuint (plain->options, ==, 0);
  g_assert_null (plain->moderator_pin);
  g_assert_cmpstr (c->controls_caller, ==, "0=mute;#=hangup");
  g_assert_cmpstr (c->controls_moderator, ==, "");
  g_assert_cmpstr (d->controls_caller, ==, MCU_KEYMAP_DEFAULT_CALLER);
  g_assert_cmpstr (d->controls_moderator, ==, MCU_KEYMAP_DEFAULT_MODERATOR);
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c = mcu_config_load ("/nonexistent/mcu.conf", &error);

  g_assert_null (c);
  g_assert_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "/nonexistent/mcu.conf"));
}

static void
test_shipped_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = g_build_filename (
      g_getenv ("MCU_SOURCE_ROOT"), "config", "mcu.conf", NULL);
  g_autoptr (McuConfig) c = mcu_config_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (c->sip_port, ==, 5060);
}

/* The shipped example of a cluster node loads. */
static void
test_shipped_cluster_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = g_build_filename (
      g_getenv ("MCU_SOURCE_ROOT"), "config", "mcu-cluster.conf", NULL);
  g_autoptr (McuConfig) c = mcu_config_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (c->cluster_node, ==, "mcu1");
  g_assert_cmpstr (c->cluster_sip_uri, ==, "sip:192.0.2.11:5060");
  g_assert_cmpuint (c->cluster_heartbeat, ==, 2);
  g_assert_cmpuint (c->cluster_dead_after, ==, 6);
}

/* [media] inband-dtmf and the [room:NAME] override (either group order). */
static void
test_inband_dtmf (void)
{
  static const gchar *const texts[] = {
    "[room:off]\ninband-dtmf=false\n[room:on]\ninband-dtmf=true\n"
    "[room:inherit]\n[media]\ninband-dtmf=true\n",
    "[media]\ninband-dtmf=false\n[room:on]\ninband-dtmf=true\n"
    "[room:off]\ninband-dtmf=false\n[room:inherit]\n",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) d = mcu_config_load_data ("", "empty.conf", &error);
  g_autoptr (McuConfig) bad = NULL;

  g_assert_false (mcu_config_inband_dtmf (d, NULL));
  g_assert_false (mcu_config_inband_dtmf (d, "any"));
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autoptr (McuConfig) c = mcu_config_load_data (texts[i], "t.conf", &error);

    g_assert_no_error (error);
    g_assert_true (mcu_config_inband_dtmf (c, "on"));
    g_assert_false (mcu_config_inband_dtmf (c, "off"));
    g_assert_cmpint (mcu_config_inband_dtmf (c, "inherit"), ==, i == 0);
    g_assert_cmpint (mcu_config_inband_dtmf (c, "auto-created"), ==, i == 0);
    g_assert_cmpint (mcu_config_inband_dtmf (c, NULL), ==, i == 0);
  }
  bad =
      mcu_config_load_data ("[room:x]\ninband-dtmf=yes\n", "bad.conf", &error);
  g_assert_null (bad);
  g_assert_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "[room:x] inband-dtmf"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/values", test_values);
  g_test_add_func ("/config/new-groups", test_new_groups);
  g_test_add_func ("/config/tls", test_tls);
  g_test_add_func ("/config/missing-file", test_missing_file);
  g_test_add_func ("/config/ivr-keys", test_ivr_keys);
  g_test_add_func ("/config/inband-dtmf", test_inband_dtmf);
  g_test_add_func ("/config/shipped-config-loads", test_shipped_config);
  g_test_add_func (
      "/config/shipped-cluster-config-loads", test_shipped_cluster_config);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree gchar *name = g_strdup_printf ("/config/bad/%u", i);
    g_test_add_data_func (name, &bad_cases[i], test_bad);
  }
  return g_test_run ();
}
