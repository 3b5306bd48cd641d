# kubedhcp: a static binary on distroless, run as nonroot. The binary carries
# file capabilities for the two privileges it needs, port 67
# (CAP_NET_BIND_SERVICE) and raw sockets for unicast replies and ping checks
# (CAP_NET_RAW); the pod must allow them (see config/manager and the chart).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY dhcpserver/ dhcpserver/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/kubedhcp ./cmd/kubedhcp
RUN apt-get update && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service,cap_net_raw+ep /out/kubedhcp

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kubedhcp /kubedhcp
USER 65532:65532
ENTRYPOINT ["/kubedhcp"]
