# Herald in a container: a static binary on a small base, run as a non-root
# user. Build with the version stamped:
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse --short HEAD) -t herald .
# The config is mounted at /config/config.yaml (with the folders it names);
# state goes to the /data volume (set `data_dir: /data` in the config).

FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG COMMIT=unknown
# CGO off: one static binary that needs nothing from the runtime image.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/herald ./cmd/herald

# Alpine rather than scratch for busybox's wget, which HEALTHCHECK needs,
# and CA certificates for HTTPS upstreams.
FROM alpine:3.22
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 10001 herald \
 && adduser -S -D -H -u 10001 -G herald herald \
 && mkdir -p /data /config \
 && chown herald:herald /data
COPY --from=build /out/herald /usr/local/bin/herald
USER herald:herald
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# The public /healthz: 200 while Herald serves.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/herald"]
# --addr: inside a container, listen on every interface; links in feeds
# still come from base_url (Herald says so once at start).
CMD ["serve", "--config", "/config/config.yaml", "--addr", "0.0.0.0:8080"]
