# Every service's image, built from the repository root so the lockfile pins every dependency:
#   docker build --build-arg SERVICE=posts --build-arg PORT=4000 -t posts-com/posts:latest .
# SERVICE is the service's folder; npm installs it with the workspaces it depends on (read from their
# package.json files), and the image holds those and nothing else. PORT is the port it listens on.

# Every workspace's package.json and the lockfile, nothing else: npm ci checks them all, and
# installing from this stage reruns only when a manifest changes, not on a source edit.
FROM node:24-alpine AS manifests
WORKDIR /context
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete && find . -depth -type d -empty -delete

FROM node:24-alpine AS build
ARG SERVICE
WORKDIR /app
COPY --from=manifests /context/ ./
# The service and the workspaces it depends on, with the root's devDependencies (typescript, @types) to compile them.
RUN npm ci --workspace "${SERVICE:?pass --build-arg SERVICE=<a service folder>}" --include-workspace-root --no-audit --no-fund
# What npm installed, in the root's workspaces order: each after those it uses, as `npm run build` builds them.
RUN npm query .workspace | node -p "const installed = JSON.parse(require('fs').readFileSync(0, 'utf8')).map((w) => w.location); require('./package.json').workspaces.filter((w) => installed.includes(w)).join(' ')" > workspaces.txt
COPY tsconfig.base.json ./
# Every library's source; which ones are built is the list above.
COPY lib/ lib/
COPY ${SERVICE}/ ${SERVICE}/
# Each compiled output is set aside in ship/, at its own path, for the final stage to take in one copy.
RUN for w in $(cat workspaces.txt); do npm run build --workspace "$w" && mkdir -p "ship/$w" && cp -R "$w/dist" "ship/$w/" || exit 1; done

FROM node:24-alpine
ARG SERVICE
ARG PORT
ENV NODE_ENV=production
WORKDIR /app
COPY --from=manifests /context/ ./
# Production dependencies of the same workspaces; npm links node_modules/@posts/* to lib/*, whose package.json came with the manifests.
RUN : "${PORT:?pass --build-arg PORT=<its port>}" && npm ci --omit=dev --workspace "${SERVICE:?pass --build-arg SERVICE=<a service folder>}" --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/ship/ ./
ENV PORT=${PORT}
WORKDIR /app/${SERVICE}
USER node
EXPOSE ${PORT}
CMD ["node", "dist/index.js"]
