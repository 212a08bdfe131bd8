/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the video layout: grid sizes, tile rectangles for 1..16
 * participants at several output sizes (inside the output, no overlap,
 * even coordinates, aspect kept when fitted), the most recent speakers
 * chosen when more are present, the speaker layout. */
#include "mcu-layout.h"

static const guint sizes[][2] = {
  { 1280, 720 },
  { 640, 360 },
  { 320, 180 },
  { 640, 480 },
  { 1920, 1080 },
  { 352, 288 },
};

static gboolean
overlap (const McuRect *a, const McuRect *b)
{
  return a->x < b->x + b->width && b->x < a->x + a->width &&
         a->y < b->y + b->height && b->y < a->y + a->height;
}

static void
check_inside_even (const McuRect *r, guint w, guint h)
{
  g_assert_cmpint (r->x, >=, 0);
  g_assert_cmpint (r->y, >=, 0);
  g_assert_cmpint (r->width, >, 0);
  g_assert_cmpint (r->height, >, 0);
  g_assert_cmpint (r->x + r->width, <=, (gint)w);
  g_assert_cmpint (r->y + r->height, <=, (gint)h);
  g_assert_cmpint (r->x % 2, ==, 0);
  g_assert_cmpint (r->y % 2, ==, 0);
  g_assert_cmpint (r->width % 2, ==, 0);
  g_assert_cmpint (r->height % 2, ==, 0);
}

static void
test_grid_size (void)
{
  static const guint expect[][3] = { { 1, 1, 1 }, { 2, 2, 1 }, { 3, 2, 2 },
    { 4, 2, 2 }, { 5, 3, 3 }, { 9, 3, 3 }, { 10, 4, 4 }, { 16, 4, 4 },
    { 20, 4, 4 } };

  for (guint i = 0; i < G_N_ELEMENTS (expect); i++) {
    guint c, r;

    mcu_layout_grid_size (expect[i][0], &c, &r);
    g_assert_cmpuint (c, ==, expect[i][1]);
    g_assert_cmpuint (r, ==, expect[i][2]);
  }
}

/* Every count 1..16 at every size: n tiles, inside, disjoint, equal-sized
 * cells (within 2 px of rounding), covering the grid's rows. */
static void
test_grid_tiles (void)
{
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    guint w = sizes[s][0], h = sizes[s][1];

    for (guint n = 1; n <= 16; n++) {
      g_autoptr (McuLayout) layout = mcu_layout_new (MCU_LAYOUT_GRID);
      g_autoptr (GArray) tiles = NULL;
      guint columns, rows;

      for (guint id = 1; id <= n; id++)
        mcu_layout_add (layout, id);
      tiles = mcu_layout_compute (layout, w, h);
      g_assert_cmpuint (tiles->len, ==, n);
      mcu_layout_grid_size (n, &columns, &rows);
      for (guint i = 0; i < n; i++) {
        McuLayoutTile *t = &g_array_index (tiles, McuLayoutTile, i);

        g_assert_cmpuint (t->id, ==, i + 1); /* joining order */
        g_assert_false (t->main);
        check_inside_even (&t->cell, w, h);
        g_assert_cmpint (ABS (t->cell.width - (gint)(w / columns)), <=, 2);
        g_assert_cmpint (ABS (t->cell.height - (gint)(h / rows)), <=, 2);
        for (guint j = 0; j < i; j++)
          g_assert_false (overlap (
              &t->cell, &g_array_index (tiles, McuLayoutTile, j).cell));
      }
    }
  }
}

static void
test_grid_positions (void)
{
  g_autoptr (McuLayout) layout = mcu_layout_new (MCU_LAYOUT_GRID);
  g_autoptr (GArray) two = NULL, three = NULL;
  McuLayoutTile *t;

  mcu_layout_add (layout, 7);
  mcu_layout_add (layout, 9);
  two = mcu_layout_compute (layout, 1280, 720);
  t = &g_array_index (two, McuLayoutTile, 0);
  g_assert_cmpint (t->cell.x, ==, 0);
  g_assert_cmpint (t->cell.width, ==, 640);
  g_assert_cmpint (t->cell.height, ==, 720);
  t = &g_array_index (two, McuLayoutTile, 1);
  g_assert_cmpint (t->cell.x, ==, 640);
  g_assert_cmpuint (t->id, ==, 9);
  /* three in 2x2: the last row's single tile is centred */
  mcu_layout_add (layout, 11);
  three = mcu_layout_compute (layout, 1280, 720);
  t = &g_array_index (three, McuLayoutTile, 2);
  g_assert_cmpint (t->cell.x, ==, 320);
  g_assert_cmpint (t->cell.y, ==, 360);
  g_assert_cmpint (t->cell.width, ==, 640);
}

static void
test_fit_keeps_aspect (void)
{
  static const guint src[][2] = { { 640, 360 }, { 640, 480 }, { 176, 144 },
    { 1280, 720 }, { 360, 640 } };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint n = 1; n <= 16; n++) {
      g_autoptr (McuLayout) layout = mcu_layout_new (MCU_LAYOUT_GRID);
      g_autoptr (GArray) tiles = NULL;

      for (guint id = 1; id <= n; id++)
        mcu_layout_add (layout, id);
      tiles = mcu_layout_compute (layout, sizes[s][0], sizes[s][1]);
      for (guint i = 0; i < tiles->len; i++)
        for (guint k = 0; k < G_N_ELEMENTS (src); k++) {
          McuRect *cell = &g_array_index (tiles, McuLayoutTile, i).cell;
          McuRect r = mcu_layout_fit (cell, src[k][0], src[k][1]);
          gdouble want = (gdouble)src[k][0] / src[k][1];
          gdouble got = (gdouble)r.width / r.height;

          /* inside the cell, touching two opposite sides, centred */
          g_assert_cmpint (r.x, >=, cell->x);
          g_assert_cmpint (r.y, >=, cell->y);
          g_assert_cmpint (r.x + r.width, <=, cell->x + cell->width);
          g_assert_cmpint (r.y + r.height, <=, cell->y + cell->height);
          g_assert_true (
              r.width >= cell->width - 2 || r.height >= cell->height - 2);
          g_assert_cmpint (
              ABS ((r.x - cell->x) - (cell->x + cell->width - r.x - r.width)),
              <=, 4);
          /* aspect within the rounding of 2 px */
          g_assert_cmpfloat (
              ABS (got - want) / want, <, 2.5 / MIN (r.width, r.height) + 0.01);
        }
    }
}

static void
test_fit_exact (void)
{
  McuRect cell = { 640, 0, 640, 720 };
  McuRect r = mcu_layout_fit (&cell, 1280, 720);

  g_assert_cmpint (r.x, ==, 640);
  g_assert_cmpint (r.y, ==, 180);
  g_assert_cmpint (r.width, ==, 640);
  g_assert_cmpint (r.height, ==, 360);
  cell = (McuRect){ 0, 0, 640, 360 };
  r = mcu_layout_fit (&cell, 640, 480); /* 4:3 in 16:9: pillarbox */
  g_assert_cmpint (r.width, ==, 480);
  g_assert_cmpint (r.height, ==, 360);
  g_assert_cmpint (r.x, ==, 80);
  g_assert_cmpint (r.y, ==, 0);
}

static gboolean
tiles_have (GArray *tiles, guint id)
{
  for (guint i = 0; i < tiles->len; i++)
    if (g_array_index (tiles, McuLayoutTile, i).id == id)
      return TRUE;
  return FALSE;
}

/* 20 participants: 16 tiles; the ones who spoke last are among them. */
static void
test_recent_speakers_visible (void)
{
  g_autoptr (McuLayout) layout = mcu_layout_new (MCU_LAYOUT_GRID);
  g_autoptr (GArray) before = NULL, after = NULL;

  for (guint id = 1; id <= 20; id++)
    mcu_layout_add (layout, id);
  before = mcu_layout_compute (layout, 1280, 720);
  g_assert_cmpuint (before->len, ==, 16);
  g_assert_true (tiles_have (before, 1)); /* nobody spoke: first joiners */
  g_assert_false (tiles_have (before, 17));
  mcu_layout_spoke (layout, 20);
  mcu_layout_spoke (layout, 18);
  after = mcu_layout_compute (layout, 1280, 720);
  g_assert_cmpuint (after->len, ==, 16);
  g_assert_true (tiles_have (after, 20));
  g_assert_true (tiles_have (after, 18));
  g_assert_false (tiles_have (after, 19));
  /* the two who never spoke and joined last among the visible ones left */
  g_assert_false (tiles_have (after, 16));
  g_assert_false (tiles_have (after, 15));
  g_assert_true (tiles_have (after, 14));
  /* joining order on screen: 18 before 20, both at the end */
  g_assert_cmpuint (g_array_index (after, McuLayoutTile, 14).id, ==, 18);
  g_assert_cmpuint (g_array_index (after, McuLayoutTile, 15).id, ==, 20);
  /* removal frees a place for the next candidate */
  mcu_layout_remove (layout, 20);
  g_clear_pointer (&after, g_array_unref);
  after = mcu_layout_compute (layout, 1280, 720);
  g_assert_cmpuint (after->len, ==, 16);
  g_assert_true (tiles_have (after, 15));
  g_assert_cmpuint (mcu_layout_get_n (layout), ==, 19);
}

static void
test_speaker_layout (void)
{
  g_autoptr (McuLayout) layout = mcu_layout_new (MCU_LAYOUT_SPEAKER);
  g_autoptr (GArray) one = NULL, many = NULL, other = NULL;
  McuLayoutTile *main_tile;

  mcu_layout_add (layout, 1);
  one = mcu_layout_compute (layout, 1280, 720);
  g_assert_cmpuint (one->len, ==, 1);
  main_tile = &g_array_index (one, McuLayoutTile, 0);
  g_assert_true (main_tile->main);
  g_assert_cmpint (main_tile->cell.width, ==, 1280);
  g_assert_cmpint (main_tile->cell.height, ==, 720);

  for (guint id = 2; id <= 8; id++)
    mcu_layout_add (layout, id);
  mcu_layout_spoke (layout, 5);
  many = mcu_layout_compute (layout, 1280, 720);
  g_assert_cmpuint (many->len, ==, 1 + MCU_LAYOUT_MAX_STRIP);
  main_tile = &g_array_index (many, McuLayoutTile, 0);
  g_assert_cmpuint (main_tile->id, ==, 5); /* the most recent speaker */
  g_assert_true (main_tile->main);
  for (guint i = 1; i < many->len; i++) {
    McuLayoutTile *t = &g_array_index (many, McuLayoutTile, i);

    g_assert_false (t->main);
    g_assert_cmpuint (t->id, !=, 5);
    check_inside_even (&t->cell, 1280, 720);
    g_assert_false (overlap (&t->cell, &main_tile->cell));
    g_assert_cmpint (t->cell.width * 4, <, main_tile->cell.width);
  }
  /* an explicit speaker overrides */
  mcu_layout_set_speaker (layout, 2);
  g_assert_cmpuint (mcu_layout_get_speaker (layout), ==, 2);
  other = mcu_layout_compute (layout, 640, 360);
  g_assert_cmpuint (g_array_index (other, McuLayoutTile, 0).id, ==, 2);
  g_assert_true (tiles_have (other, 5));
  mcu_layout_remove (layout, 2);
  g_assert_cmpuint (mcu_layout_get_speaker (layout), ==, 5);
  /* and the kind changes while running */
  mcu_layout_set_kind (layout, MCU_LAYOUT_GRID);
  g_clear_pointer (&other, g_array_unref);
  other = mcu_layout_compute (layout, 640, 360);
  g_assert_cmpuint (other->len, ==, 7);
}

static void
test_kind_strings (void)
{
  McuLayoutKind k;

  g_assert_true (mcu_layout_kind_from_string ("speaker", &k));
  g_assert_cmpint (k, ==, MCU_LAYOUT_SPEAKER);
  g_assert_true (mcu_layout_kind_from_string ("auto", &k));
  g_assert_cmpint (k, ==, MCU_LAYOUT_GRID);
  g_assert_false (mcu_layout_kind_from_string ("mosaic", &k));
  g_assert_cmpstr (
      mcu_layout_kind_to_string (MCU_LAYOUT_SPEAKER), ==, "speaker");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layout/grid/size", test_grid_size);
  g_test_add_func ("/layout/grid/tiles-1-to-16", test_grid_tiles);
  g_test_add_func ("/layout/grid/positions", test_grid_positions);
  g_test_add_func ("/layout/fit/keeps-aspect", test_fit_keeps_aspect);
  g_test_add_func ("/layout/fit/exact", test_fit_exact);
  g_test_add_func (
      "/layout/grid/recent-speakers-visible", test_recent_speakers_visible);
  g_test_add_func ("/layout/speaker", test_speaker_layout);
  g_test_add_func ("/layout/kind-strings", test_kind_strings);
  return g_test_run ();
}
