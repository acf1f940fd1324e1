// A benchmark peer: SCIMMY with its Express routers and a plain in-memory store (a Map per
// resource type). Usage: node server.mjs PORT TOKEN
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import {randomUUID} from "node:crypto";

const [port, token] = process.argv.slice(2);

function store(type, uniqueKey) {
    const items = new Map();
    const byKey = new Map(); // lowercased unique attribute -> id, so a create is not a scan
    return {
        ingress(resource, data) {
            const id = resource.id ?? randomUUID();
            const key = data[uniqueKey]?.toLowerCase();
            const holder = byKey.get(key);
            if (holder !== undefined && holder !== id) {
                throw new SCIMMY.Types.Error(409, "uniqueness", `${uniqueKey} already exists`);
            }
            const existing = items.get(id);
            if (resource.id && !existing) throw new SCIMMY.Types.Error(404, null, `${type} ${id} not found`);
            if (existing) byKey.delete(existing[uniqueKey]?.toLowerCase());
            byKey.set(key, id);
            const now = new Date();
            const stored = {...data, id, meta: {created: existing?.meta.created ?? now, lastModified: now}};
            items.set(id, stored);
            return stored;
        },
        egress(resource) {
            if (resource.id) {
                const found = items.get(resource.id);
                if (!found) throw new SCIMMY.Types.Error(404, null, `${type} ${resource.id} not found`);
                return found;
            }
            // Filtering is the handler's job (with SCIMMY's own matcher); SCIMMY sorts and
            // pages what the handler returns.
            const all = [...items.values()];
            return resource.filter ? resource.filter.match(all) : all;
        },
        degress(resource) {
            const existing = items.get(resource.id);
            if (!existing) throw new SCIMMY.Types.Error(404, null, `${type} ${resource.id} not found`);
            byKey.delete(existing[uniqueKey]?.toLowerCase());
            items.delete(resource.id);
        },
    };
}

for (const [type, key] of [[SCIMMY.Resources.User, "userName"], [SCIMMY.Resources.Group, "displayName"]]) {
    const s = store(type.name, key);
    SCIMMY.Resources.declare(type).ingress(s.ingress).egress(s.egress).degress(s.degress);
}

const app = express();
app.use("/scim", new SCIMMYRouters({
    type: "bearer",
    docUri: "https://example.com/bench",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) throw new Error("Authorization not detected!");
        return "bench";
    },
}));
app.listen(Number(port), "127.0.0.1");
