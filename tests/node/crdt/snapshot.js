// Fixed snapshot scenario in npm yjs: prints JSON with the encoded snapshots and the restored content.
const Y = require('yjs')
const hex = u => Buffer.from(u).toString('hex')
const doc = new Y.Doc({ gc: false })
doc.clientID = 11
const t = doc.getText('t')
t.insert(0, 'hello world')
t.delete(2, 3)
const snap1 = Y.snapshot(doc)
t.insert(1, 'XY')
t.delete(5, 2)
doc.getMap('m').set('a', 1)
const snap2 = Y.snapshot(doc)
const restored = Y.createDocFromSnapshot(doc, snap1)
process.stdout.write(JSON.stringify({
  s1: hex(Y.encodeSnapshot(snap1)),
  s1v2: hex(Y.encodeSnapshotV2(snap1)),
  s2: hex(Y.encodeSnapshot(snap2)),
  restored: restored.getText('t').toString(),
  restoredUpdate: hex(Y.encodeStateAsUpdate(restored)),
  doc: hex(Y.encodeStateAsUpdate(doc)),
  equal: Y.equalSnapshots(snap1, Y.decodeSnapshot(Y.encodeSnapshot(snap1)))
}))
