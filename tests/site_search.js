// node site_search.js SITE_DIR QUERY...: run the built site's search (material's own worker, with
// its lunr languages and Japanese segmenter) on its index; prints {query: [locations]}
const fs = require("fs"), path = require("path"), vm = require("vm")
const [site, ...queries] = process.argv.slice(2)
const workers = path.join(site, "assets/javascripts/workers")
const worker = fs.readdirSync(workers).find(f => /^search\..*\.min\.js$/.test(f))
let listener, replies = []
const ctx = { console, setTimeout, clearTimeout, Promise,
  addEventListener: (_, fn) => { listener = fn },
  postMessage: msg => replies.push(msg),
  importScripts: (...urls) => { for (const u of urls) vm.runInContext(
    fs.readFileSync(path.resolve(workers, u), "utf8"), ctx) } }
ctx.self = ctx; vm.createContext(ctx)
vm.runInContext(fs.readFileSync(path.join(workers, worker), "utf8"), ctx)
const index = JSON.parse(fs.readFileSync(path.join(site, "search/search_index.json"), "utf8"))
;(async () => {
  await listener({ data: { type: 0, data: { ...index, options: { suggest: false } } } })
  const out = {}
  for (const q of queries) {
    await listener({ data: { type: 2, data: q } })
    const r = replies.pop()
    out[q] = r.data.items.map(group => group[0].location)
  }
  console.log(JSON.stringify(out))
})().catch(e => { console.error(e); process.exit(1) })
