// Replays the B4 editing trace in npm yjs (one transaction per edit, as crdt-benchmarks does) with a fixed
// client id and writes the final document as v1 and v2 updates: the oracle for the C# B4 test.
// usage: node b4.js <outdir> [clientId]
const Y = require('yjs')
const fs = require('fs')
const path = require('path')

// the shared data sits next to the repository (../shared), which for a worktree under wt/ is one level further up
const dataDir = process.env.B4_DIR || [path.join(__dirname, '../../data/b4'), path.join(__dirname, '../../../../shared/data/b4'), path.join(__dirname, '../../../../../shared/data/b4')]
  .find(d => fs.existsSync(path.join(d, 'b4-edits.json')))
if (!dataDir) throw new Error('B4 data not found; set B4_DIR')
const outDir = process.argv[2]
const clientId = Number(process.argv[3] || 2661961782)
const edits = JSON.parse(fs.readFileSync(path.join(dataDir, 'b4-edits.json'), 'utf8'))
const doc = new Y.Doc()
doc.clientID = clientId
const text = doc.getText('text')
for (const [pos, del, ins] of edits) {
  if (del > 0) text.delete(pos, del)
  if (ins.length > 0) text.insert(pos, ins)
}
const final = fs.readFileSync(path.join(dataDir, 'b4-final-text.txt'), 'utf8')
if (text.toString() !== final) throw new Error('yjs did not reproduce the final text')
fs.mkdirSync(outDir, { recursive: true })
fs.writeFileSync(path.join(outDir, 'b4-yjs.v1.bin'), Y.encodeStateAsUpdate(doc))
fs.writeFileSync(path.join(outDir, 'b4-yjs.v2.bin'), Y.encodeStateAsUpdateV2(doc))
