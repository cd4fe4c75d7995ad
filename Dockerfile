# Herald in a container: one static binary on an empty base, run as a
# non-root user, with the bundled config.yaml and articles as defaults.
# Build with the version stamped:
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse --short HEAD) -t herald .
# Mount your own config at /config/config.yaml (with the folders it names);
# state goes to the /data volume (HERALD_DATA_DIR, whatever data_dir says).

FROM golang:1.26-alpine AS build
RUN apk add --no-cache ca-certificates
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG COMMIT=unknown
# CGO off: one static binary that needs nothing from the runtime image;
# timetzdata embeds the time zones the config's timezone keys name.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/herald ./cmd/herald \
 && mkdir -p /out/data

# Nothing but the binary, CA certificates for HTTPS upstreams, the bundled
# configuration and the state folder: no shell, no package manager.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/herald /herald
COPY config.yaml /config/config.yaml
COPY articles /config/articles
COPY --from=build --chown=10001:10001 /out/data /data
USER 10001:10001
ENV HERALD_DATA_DIR=/data
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# The public /healthz, asked by herald itself (the image has no wget).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/herald", "healthcheck", "--addr", "127.0.0.1:8080"]
ENTRYPOINT ["/herald"]
# --addr: inside a container, listen on every interface; links in feeds
# still come from base_url (Herald says so once at start).
CMD ["serve", "--config", "/config/config.yaml", "--addr", "0.0.0.0:8080"]
