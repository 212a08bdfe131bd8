/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a room's video layout (pure geometry, main thread only).
 *
 * Who is visible: every participant carries the sequence number of its last
 * "spoke" (0 = never); with more participants than tiles the highest
 * numbers win, ties going to the earlier joiner. On screen the visible ones
 * keep joining order, so a tile stays where it is while others talk.
 * Coordinates are even (I420 chroma is subsampled 2x2). */
#include "mcu-layout.h"

typedef struct
{
  guint id;
  guint64 spoke; /* sequence of the last "spoke", 0 = never */
} Member;

struct _McuLayout
{
  GObject parent_instance;

  McuLayoutKind kind;
  GArray *members; /* Member, joining order */
  guint64 spoke_seq;
  guint speaker; /* 0 = the most recent speaker */
};

G_DEFINE_FINAL_TYPE (McuLayout, mcu_layout, G_TYPE_OBJECT)

static void
mcu_layout_finalize (GObject *object)
{
  McuLayout *self = MCU_LAYOUT (object);

  g_array_unref (self->members);
  G_OBJECT_CLASS (mcu_layout_parent_class)->finalize (object);
}

static void
mcu_layout_class_init (McuLayoutClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_layout_finalize;
}

static void
mcu_layout_init (McuLayout *self)
{
  self->members = g_array_new (FALSE, FALSE, sizeof (Member));
}

gboolean
mcu_layout_kind_from_string (const gchar *text, McuLayoutKind *kind)
{
  if (g_strcmp0 (text, "grid") == 0 || g_strcmp0 (text, "auto") == 0)
    *kind = MCU_LAYOUT_GRID;
  else if (g_strcmp0 (text, "speaker") == 0)
    *kind = MCU_LAYOUT_SPEAKER;
  else
    return FALSE;
  return TRUE;
}

const gchar *
mcu_layout_kind_to_string (McuLayoutKind kind)
{
  return kind == MCU_LAYOUT_SPEAKER ? "speaker" : "grid";
}

void
mcu_layout_grid_size (guint n, guint *columns, guint *rows)
{
  guint side = 1;

  if (n == 2) {
    *columns = 2;
    *rows = 1;
    return;
  }
  while (side * side < n && side < 4)
    side++;
  *columns = *rows = side;
}

static gint
even (gint64 v)
{
  return (gint)(v & ~(gint64)1);
}

McuRect
mcu_layout_fit (const McuRect *cell, guint src_width, guint src_height)
{
  McuRect r = *cell;

  if (src_width == 0 || src_height == 0)
    return r;
  /* cell.w / cell.h > src.w / src.h: pillarbox (bars left and right) */
  if ((gint64)cell->width * src_height > (gint64)cell->height * src_width) {
    r.width = even ((gint64)cell->height * src_width / src_height);
    r.height = even (cell->height);
  } else {
    r.width = even (cell->width);
    r.height = even ((gint64)cell->width * src_height / src_width);
  }
  r.x = cell->x + even ((cell->width - r.width) / 2);
  r.y = cell->y + even ((cell->height - r.height) / 2);
  return r;
}

McuLayout *
mcu_layout_new (McuLayoutKind kind)
{
  McuLayout *self = g_object_new (MCU_TYPE_LAYOUT, NULL);

  self->kind = kind;
  return self;
}

McuLayoutKind
mcu_layout_get_kind (McuLayout *self)
{
  return self->kind;
}

void
mcu_layout_set_kind (McuLayout *self, McuLayoutKind kind)
{
  self->kind = kind;
}

static Member *
find (McuLayout *self, guint id, guint *index)
{
  for (guint i = 0; i < self->members->len; i++) {
    Member *m = &g_array_index (self->members, Member, i);

    if (m->id == id) {
      if (index)
        *index = i;
      return m;
    }
  }
  return NULL;
}

void
mcu_layout_add (McuLayout *self, guint id)
{
  Member m = { id, 0 };

  if (find (self, id, NULL) == NULL)
    g_array_append_val (self->members, m);
}

void
mcu_layout_remove (McuLayout *self, guint id)
{
  guint i;

  if (find (self, id, &i))
    g_array_remove_index (self->members, i);
  if (self->speaker == id)
    self->speaker = 0;
}

guint
mcu_layout_get_n (McuLayout *self)
{
  return self->members->len;
}

void
mcu_layout_spoke (McuLayout *self, guint id)
{
  Member *m = find (self, id, NULL);

  if (m)
    m->spoke = ++self->spoke_seq;
}

void
mcu_layout_set_speaker (McuLayout *self, guint id)
{
  self->speaker = id;
}

/* The explicit speaker, else the most recent one, else the first joiner. */
guint
mcu_layout_get_speaker (McuLayout *self)
{
  const Member *best = NULL;

  if (self->speaker && find (self, self->speaker, NULL))
    return self->speaker;
  for (guint i = 0; i < self->members->len; i++) {
    const Member *m = &g_array_index (self->members, Member, i);

    if (best == NULL || m->spoke > best->spoke)
      best = m;
  }
  return best ? best->id : 0;
}

/* Marks in @visible (parallel to members) the @max most recent speakers,
 * leaving out @skip; returns how many were marked. */
static guint
choose_visible (McuLayout *self, guint max, guint skip, gboolean *visible)
{
  guint n = 0;

  while (n < max) {
    gint best = -1;

    for (guint i = 0; i < self->members->len; i++) {
      const Member *m = &g_array_index (self->members, Member, i);

      if (visible[i] || m->id == skip)
        continue;
      if (best < 0 ||
          m->spoke > g_array_index (self->members, Member, best).spoke)
        best = i;
    }
    if (best < 0)
      break;
    visible[best] = TRUE;
    n++;
  }
  return n;
}

static void
append_tile (
    GArray *tiles, guint id, gint x, gint y, gint w, gint h, gboolean main)
{
  McuLayoutTile t = { id, { x, y, w, h }, main };

  g_array_append_val (tiles, t);
}

static void
compute_grid (McuLayout *self, gint width, gint height, GArray *tiles)
{
  g_autofree gboolean *visible = g_new0 (gboolean, self->members->len + 1);
  guint n = choose_visible (self, MCU_LAYOUT_MAX_TILES, 0, visible);
  guint columns, rows, k = 0;

  mcu_layout_grid_size (n, &columns, &rows);
  for (guint i = 0; i < self->members->len; i++) {
    guint row = k / columns, col = k % columns;
    guint in_row = MIN (columns, n - row * columns);
    /* an incomplete last row is centred */
    gint offset = even ((gint64)(columns - in_row) * width / columns / 2);
    gint x0 = even ((gint64)col * width / columns) + offset;
    gint x1 = even ((gint64)(col + 1) * width / columns) + offset;
    gint y0 = even ((gint64)row * height / rows);
    gint y1 = even ((gint64)(row + 1) * height / rows);

    if (!visible[i])
      continue;
    if (col + 1 == columns)
      x1 = even (width) + offset;
    if (row + 1 == rows)
      y1 = even (height);
    append_tile (tiles, g_array_index (self->members, Member, i).id, x0, y0,
        x1 - x0, y1 - y0, FALSE);
    k++;
  }
}

static void
compute_speaker (McuLayout *self, gint width, gint height, GArray *tiles)
{
  g_autofree gboolean *visible = g_new0 (gboolean, self->members->len + 1);
  guint speaker = mcu_layout_get_speaker (self);
  guint n = choose_visible (self, MCU_LAYOUT_MAX_STRIP, speaker, visible);
  gint strip_h = n ? even (height / 5) : 0;
  gint tile_w = even (width / 5);
  gint x = even ((width - (gint)n * tile_w) / 2);

  if (speaker == 0)
    return;
  append_tile (
      tiles, speaker, 0, 0, even (width), even (height - strip_h), TRUE);
  for (guint i = 0; i < self->members->len; i++) {
    if (!visible[i])
      continue;
    append_tile (tiles, g_array_index (self->members, Member, i).id, x,
        even (height - strip_h), tile_w, strip_h, FALSE);
    x += tile_w;
  }
}

GArray *
mcu_layout_compute (McuLayout *self, guint width, guint height)
{
  GArray *tiles = g_array_new (FALSE, FALSE, sizeof (McuLayoutTile));

  g_return_val_if_fail (width <= G_MAXINT && height <= G_MAXINT, tiles);
  if (self->members->len == 0)
    return tiles;
  if (self->kind == MCU_LAYOUT_SPEAKER)
    compute_speaker (self, width, height, tiles);
  else
    compute_grid (self, width, height, tiles);
  return tiles;
}
