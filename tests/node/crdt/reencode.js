// Applies an update file to a fresh npm yjs document and writes encodeStateAsUpdate (v1) and V2 of the result.
// usage: node reencode.js <update file> <format v1|v2> <out prefix>
const Y = require('yjs')
const fs = require('fs')
const [file, fmt, out] = process.argv.slice(2)
const doc = new Y.Doc()
const bytes = fs.readFileSync(file)
if (fmt === 'v2') Y.applyUpdateV2(doc, bytes); else Y.applyUpdate(doc, bytes)
fs.writeFileSync(out + '.v1.bin', Y.encodeStateAsUpdate(doc))
fs.writeFileSync(out + '.v2.bin', Y.encodeStateAsUpdateV2(doc))
