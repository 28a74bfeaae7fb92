// The Yjs side of bench/crdt: the B4 trace (Kleppmann & Beresford, CC-BY 4.0) in npm yjs, measured the same way
// as the C# side. Prints one JSON object; writes the final document as v1/v2 to <outdir>.
// usage: node --expose-gc yjs.js <b4 dir> <outdir> <runs>
const Y = require('yjs')
const fs = require('fs')
const path = require('path')
const [dir, outDir, runsArg] = process.argv.slice(2)
const runs = Number(runsArg || 1)
const clientId = 2661961782
const edits = JSON.parse(fs.readFileSync(path.join(dir, 'b4-edits.json'), 'utf8'))
const final = fs.readFileSync(path.join(dir, 'b4-final-text.txt'), 'utf8')
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }

const apply = (listener) => {
  const doc = new Y.Doc()
  doc.clientID = clientId
  let bytes = 0
  if (listener) doc.on('updateV2', u => { bytes += u.length })
  const text = doc.getText('text')
  const t0 = performance.now()
  for (const [pos, del, ins] of edits) {
    if (del > 0) text.delete(pos, del)
    if (ins.length > 0) text.insert(pos, ins)
  }
  const ms = performance.now() - t0
  if (text.toString() !== final) throw new Error('wrong final text')
  return { ms, doc, bytes }
}

const res = {}
const applyRuns = []
let doc
for (let i = 0; i < runs; i++) { const r = apply(false); applyRuns.push(r.ms); doc = r.doc }
res.b4_apply_ms = median(applyRuns)
const listenerRuns = []
for (let i = 0; i < runs; i++) { const r = apply(true); listenerRuns.push(r.ms); res.b4_updates_bytes = r.bytes }
res.b4_apply_listener_ms = median(listenerRuns)

// the server's side of B4: every edit arrives as a v1 update from a client and is applied to the server's document
{
  const src = new Y.Doc(); src.clientID = clientId
  const updates = []
  src.on('update', u => updates.push(u))
  const t = src.getText('text')
  for (const [pos, del, ins] of edits) { if (del > 0) t.delete(pos, del); if (ins.length > 0) t.insert(pos, ins) }
  const remoteRuns = []
  for (let i = 0; i < runs; i++) {
    const server = new Y.Doc()
    const t0 = performance.now()
    for (const u of updates) Y.applyUpdate(server, u)
    remoteRuns.push(performance.now() - t0)
    if (server.getText('text').toString() !== final) throw new Error('wrong remote text')
  }
  res.b4_remote_apply_ms = median(remoteRuns)
}

let v1, v2
const enc1 = []; const enc2 = []
for (let i = 0; i < 5; i++) {
  let t0 = performance.now(); v1 = Y.encodeStateAsUpdate(doc); enc1.push(performance.now() - t0)
  t0 = performance.now(); v2 = Y.encodeStateAsUpdateV2(doc); enc2.push(performance.now() - t0)
}
res.encode_v1_ms = median(enc1)
res.encode_v2_ms = median(enc2)
res.v1_bytes = v1.length
res.v2_bytes = v2.length
fs.mkdirSync(outDir, { recursive: true })
fs.writeFileSync(path.join(outDir, 'yjs.v1.bin'), v1)
fs.writeFileSync(path.join(outDir, 'yjs.v2.bin'), v2)

const decodeRuns1 = []; const decodeRuns2 = []
for (let i = 0; i < Math.max(runs, 3); i++) {
  let t = performance.now(); const d1 = new Y.Doc(); Y.applyUpdate(d1, v1); d1.getText('text').toString(); decodeRuns1.push(performance.now() - t)
  t = performance.now(); const d2 = new Y.Doc(); Y.applyUpdateV2(d2, v2); d2.getText('text').toString(); decodeRuns2.push(performance.now() - t)
}
res.decode_v1_ms = median(decodeRuns1)
res.decode_v2_ms = median(decodeRuns2)

// heap held by a finished document
doc = null
global.gc(); global.gc()
const before = process.memoryUsage().heapUsed
const kept = apply(false).doc
global.gc(); global.gc()
res.doc_heap_bytes = process.memoryUsage().heapUsed - before
if (kept.getText('text').length !== final.length) throw new Error('unreachable')
process.stdout.write(JSON.stringify(res))
