# syntax=docker/dockerfile:1
# The KubeOpenCode operator image, which is also the system image of Task Pods: its
# `kubeopencode` CLI runs the controller and the in-Pod helpers (context-init, git-init,
# url-fetch, collect-outputs).
#
#   docker build -t quay.io/kubeopencode/kubeopencode:dev .

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile the TypeScript sources, bundle the CLI into lib/bundle -------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY imports ./imports
COPY scripts/ui-bundle.ts scripts/cli-bundle.ts ./scripts/
# The CLI, the Web UI's page (lib/ui), then the CLI bundled with its dependencies (lib/bundle):
# one file per command instead of ~600 modules, so each process loads only what it runs.
RUN npx tsc --build && npx tsx scripts/ui-bundle.ts && npx tsx scripts/cli-bundle.ts

# --- runtime -----------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# git and ssh: git-init clones Git contexts over HTTPS and SSH.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 kubeopencode \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kubeopencode
WORKDIR /opt/kubeopencode
ENV NODE_ENV=production
# The bundle holds every dependency: no node_modules. package.json says where the package's
# root is (the UI finds lib/ui from it).
COPY package.json ./
COPY --from=build /src/lib/bundle ./lib/bundle
COPY --from=build /src/lib/ui ./lib/ui
RUN chmod 0755 lib/bundle/kubeopencode.mjs && ln -s /opt/kubeopencode/lib/bundle/kubeopencode.mjs /usr/local/bin/kubeopencode
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubeopencode"]
CMD ["controller"]
