{{/*
The two gRPC services, write and read, described once. healthService is the name the
server registers with grpc.health.v1 (services/*_service.py SERVICE_NAMES): readiness
asks for it, liveness asks for "" (the whole server).
*/}}
{{- define "feed.grpcServices" -}}
- component: write
  args: [serve, write]
  healthService: feed.v1.PostService
- component: read
  args: [serve, read]
  healthService: feed.v1.FeedService
{{- end }}
