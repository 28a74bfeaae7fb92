// y-protocols oracle: sync messages and an awareness exchange; prints hex bytes and the events seen.
const Y = require('yjs')
const sync = require('y-protocols/sync')
const aw = require('y-protocols/awareness')
const encoding = require('lib0/encoding')
const decoding = require('lib0/decoding')
const hex = u => Buffer.from(u).toString('hex')
const out = {}

const doc = new Y.Doc(); doc.clientID = 1
const t = doc.getText('text'); t.insert(0, 'abc'); t.insert(1, 'x'); t.delete(2, 1)
let e = encoding.createEncoder(); sync.writeSyncStep1(e, doc); out.step1 = hex(encoding.toUint8Array(e))
e = encoding.createEncoder(); sync.writeSyncStep2(e, doc); out.step2 = hex(encoding.toUint8Array(e))
e = encoding.createEncoder(); sync.writeSyncStep2(e, doc, Y.encodeStateVector(new Y.Doc())); out.step2empty = hex(encoding.toUint8Array(e))
e = encoding.createEncoder(); sync.writeUpdate(e, Y.encodeStateAsUpdate(doc)); out.update = hex(encoding.toUint8Array(e))
// a peer answers our step 1 with its step 2
const peer = new Y.Doc(); peer.clientID = 2; peer.getText('text').insert(0, 'Q')
e = encoding.createEncoder()
sync.readSyncMessage(decoding.createDecoder(hexToBytes(out.step1)), e, peer, null)
out.peerReply = hex(encoding.toUint8Array(e))

function hexToBytes (h) { return new Uint8Array(Buffer.from(h, 'hex')) }

// awareness
const d42 = new Y.Doc(); d42.clientID = 42
const d43 = new Y.Doc(); d43.clientID = 43
const a = new aw.Awareness(d42)
const b = new aw.Awareness(d43)
const events = []
b.on('change', (c, origin) => events.push(['change', c, origin]))
b.on('update', (c, origin) => events.push(['update', c, origin]))
a.setLocalState({ user: 'x', n: 1 })
out.aw1 = hex(aw.encodeAwarenessUpdate(a, [42]))
aw.applyAwarenessUpdate(b, hexToBytes(out.aw1), 'remote')
a.setLocalState({ user: 'x', n: 1 }) // same content: update but no change
out.aw2 = hex(aw.encodeAwarenessUpdate(a, [42]))
aw.applyAwarenessUpdate(b, hexToBytes(out.aw2), 'remote')
aw.applyAwarenessUpdate(b, hexToBytes(out.aw1), 'remote') // stale: ignored
a.setLocalState(null)
out.aw3 = hex(aw.encodeAwarenessUpdate(a, [42]))
aw.applyAwarenessUpdate(b, hexToBytes(out.aw3), 'remote')
out.bStates = JSON.stringify([...b.getStates().entries()])
out.all = hex(aw.encodeAwarenessUpdate(b, [43, 42]))
// a remote null for b's own state is not accepted: b bumps its clock
const removeB = encoding.createEncoder()
encoding.writeVarUint(removeB, 1); encoding.writeVarUint(removeB, 43); encoding.writeVarUint(removeB, 5); encoding.writeVarString(removeB, 'null')
aw.applyAwarenessUpdate(b, encoding.toUint8Array(removeB), 'remote')
out.bAfterRemoteRemoval = hex(aw.encodeAwarenessUpdate(b, [43]))
out.events = JSON.stringify(events)
a.destroy(); b.destroy()
process.stdout.write(JSON.stringify(out))
