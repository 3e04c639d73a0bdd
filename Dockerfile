# One image for every Sluice service; the compose file and the manifests pick the entry point per
# container. It runs as `node` (uid 1000) and writes only to /var/lib/sluice (the gateway's usage
# spool) and /tmp, so it runs on a read-only root filesystem.
# NODE_IMAGE: a Node 20 image on Debian bookworm with a `node` user of uid 1000.
ARG NODE_IMAGE=node:20-bookworm-slim

# The lock file and the workspaces' package.json files alone (the root one without its scripts):
# the `npm ci` layer below is rebuilt only when a dependency changes, not on every source change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY services ./services
RUN find apps libs services -type f ! -name package.json -delete && find apps libs services -type d -empty -delete \
 && node -e "const fs = require('fs'); const p = JSON.parse(fs.readFileSync('package.json')); delete p.scripts; fs.writeFileSync('package.json', JSON.stringify(p))"

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /app ./
# No install scripts, as npm 11 runs this workspace (package.json "allowScripts").
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS runtime-deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM deps AS build
COPY .swcrc tsconfig.base.json tsconfig.json ./
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
COPY services ./services
RUN node scripts/build.mjs

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production SLUICE_DATA_DIR=/var/lib/sluice
COPY --from=runtime-deps /app/package.json ./
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/libs ./libs
COPY --from=build /app/services ./services
# A new named volume mounted here takes this directory's owner, so the unprivileged user can write it.
RUN mkdir -p /var/lib/sluice && chown node:node /var/lib/sluice
USER node
CMD ["node", "services/gateway/dist/main.js"]
