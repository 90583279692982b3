# syntax=docker/dockerfile:1
# The KubeOpenCode operator image, which is also the system image of Task Pods: its
# `kubeopencode` CLI runs the controller and the in-Pod helpers (context-init, git-init,
# url-fetch, collect-outputs).
#
#   docker build -t quay.io/kubeopencode/kubeopencode:dev .

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile the TypeScript sources into lib/ ---------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY imports ./imports
COPY scripts/ui-bundle.ts ./scripts/
# The CLI, then the Web UI's page (bundled into lib/ui).
RUN npx tsc --build && npx tsx scripts/ui-bundle.ts

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
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/lib ./lib
COPY bin ./bin
RUN chmod 0755 bin/kubeopencode.js && ln -s /opt/kubeopencode/bin/kubeopencode.js /usr/local/bin/kubeopencode
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubeopencode"]
CMD ["controller"]
