#!/usr/bin/env node
// Builds src/geo/outlines.txt.gz, the outlines the maps of src/geo/map.rs draw, from two npm
// data packages (see src/geo/README.md):
//   us-atlas    (ISC): the Census Bureau's cartographic boundary files (public domain), 1:10m;
//   world-atlas (ISC): Natural Earth's land (public domain), 1:110m;
// read with topojson-client (ISC). One line per ring or line, longitude,latitude pairs:
//   N …  the nation's land (filled), territories far in the Pacific left out;
//   B …  the borders between states (stroked);
//   W …  the world's land (filled, for events abroad).
//
// Usage: node scripts/geodata/outlines.js DIR   (DIR holds the unpacked packages:
//        DIR/us-atlas/package, DIR/world-atlas/package, DIR/topojson-client/package;
//        `npm pack us-atlas world-atlas topojson-client` gives them)
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: outlines.js DIR');
  process.exit(1);
}
const topojson = require(path.resolve(dir, 'topojson-client/package/dist/topojson-client.js'));
const us = require(path.resolve(dir, 'us-atlas/package/states-10m.json'));
const world = require(path.resolve(dir, 'world-atlas/package/land-110m.json'));

// Drops points closer than `step` degrees to the last one kept (the maps are a few hundred
// pixels wide: a pixel is about 0.06° of longitude), keeping each line's ends.
function thin(points, step) {
  const out = [points[0]];
  for (let i = 1; i < points.length - 1; i++) {
    const [x, y] = points[i];
    const [px, py] = out[out.length - 1];
    if (Math.hypot(x - px, y - py) >= step) out.push(points[i]);
  }
  if (points.length > 1) out.push(points[points.length - 1]);
  return out;
}
const text = (points) => points.map(([x, y]) => `${x.toFixed(3)},${y.toFixed(3)}`).join(' ');
// Guam, the Northern Marianas and American Samoa: far west of the date line or south of the
// equator, drawn on no inset.
const drawn = (ring) => ring.every(([x, y]) => y > 0 && (x < -60 || x > 170));

const lines = [];
const nation = topojson.feature(us, us.objects.nation);
for (const f of nation.features ? nation.features : [nation]) {
  const g = f.geometry;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  for (const poly of polys) {
    for (const ring of poly) {
      if (!drawn(ring)) continue;
      const t = thin(ring, 0.03);
      if (t.length >= 4) lines.push('N ' + text(t));
    }
  }
}
const borders = topojson.mesh(us, us.objects.states, (a, b) => a !== b);
for (const line of borders.coordinates) {
  if (!drawn(line)) continue;
  const t = thin(line, 0.03);
  if (t.length >= 2) lines.push('B ' + text(t));
}
const land = topojson.feature(world, world.objects.land);
for (const f of land.features) {
  const g = f.geometry;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  for (const poly of polys) {
    for (const ring of poly) {
      const t = thin(ring, 0.5);
      if (t.length >= 4) lines.push('W ' + text(t));
    }
  }
}
const out = path.resolve(__dirname, '../../src/geo/outlines.txt.gz');
fs.writeFileSync(out, zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }));
console.log(`${lines.length} lines → ${out} (${fs.statSync(out).size} bytes)`);
