{{/*
Names, labels and the pod pieces every workload shares. Workload templates call
these with (dict "root" $ "component" "write") where a component is involved.
*/}}

{{- define "feed.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name; the longest suffix added to it ("-worker-metrics") still fits 63 characters. */}}
{{- define "feed.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 48 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 48 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 48 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "feed.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "feed.selectorLabels" -}}
app.kubernetes.io/name: {{ include "feed.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "feed.labels" -}}
helm.sh/chart: {{ include "feed.chart" . }}
{{ include "feed.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: feed
{{- end }}

{{/* Selector labels of one component: write, read, worker, relay or schema. */}}
{{- define "feed.componentSelectorLabels" -}}
{{ include "feed.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "feed.componentLabels" -}}
{{ include "feed.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "feed.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "feed.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "feed.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "feed.configMapName" -}}
{{- printf "%s-config" (include "feed.fullname" .) }}
{{- end }}

{{/*
The Cassandra settings as FEED_* variables (cassandra_store.CassandraSettings.from_env).
The ConfigMap carries them, and so does the schema job, which runs before the ConfigMap
exists on a first install.
*/}}
{{- define "feed.cassandraEnv" -}}
{{- $c := .Values.cassandra -}}
FEED_STORE: {{ printf "cassandra://%s/%s" (join "," $c.contactPoints) $c.keyspace | quote }}
FEED_CASSANDRA_LOCAL_DC: {{ $c.localDC | quote }}
FEED_CASSANDRA_CONSISTENCY: {{ $c.consistency | quote }}
FEED_CASSANDRA_REPLICATION: {{ $c.replication | quote }}
FEED_CASSANDRA_TIMEOUT_S: {{ $c.timeoutSeconds | toString | quote }}
{{- with $c.auth.username }}
FEED_CASSANDRA_USERNAME: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
The web gateway's upstreams: the write and read Services (the ConfigMap's FEED_*_ADDR are
the listen addresses of the services' own pods). Container env, so it wins over envFrom.
*/}}
{{- define "feed.webUpstreamEnv" -}}
{{- $full := include "feed.fullname" . -}}
- name: FEED_WRITE_ADDR
  value: {{ printf "%s-write:%d" $full (int .Values.write.port) | quote }}
- name: FEED_READ_ADDR
  value: {{ printf "%s-read:%d" $full (int .Values.read.port) | quote }}
- name: FEED_STREAM_ADDR
  value: {{ printf "%s-read:%d" $full (int .Values.read.streamPort) | quote }}
{{- end }}

{{/*
Settings read by feed.config.Settings. Listen addresses bind every interface of the pod;
FEED_REDIS_URL moves to the container env when Redis has a password (see feed.secretEnv).
*/}}
{{- define "feed.settingsEnv" -}}
{{- $v := .Values -}}
FEED_KAFKA_BOOTSTRAP: {{ join "," $v.kafka.bootstrapServers | quote }}
{{- if not $v.redis.auth.existingSecret }}
FEED_REDIS_URL: {{ $v.redis.url | quote }}
{{- end }}
FEED_WRITE_ADDR: {{ printf "0.0.0.0:%d" (int $v.write.port) | quote }}
FEED_READ_ADDR: {{ printf "0.0.0.0:%d" (int $v.read.port) | quote }}
FEED_STREAM_ADDR: {{ printf "0.0.0.0:%d" (int $v.read.streamPort) | quote }}
FEED_WEB_ADDR: {{ printf "0.0.0.0:%d" (int $v.web.port) | quote }}
FEED_WEB_ALLOWED_ORIGINS: {{ join "," $v.web.allowedOrigins | quote }}
FEED_WEB_DEMO: {{ $v.web.demo | toString | quote }}
FEED_WEB_HEARTBEAT_S: {{ $v.web.heartbeatSeconds | toString | quote }}
FEED_METRICS_ADDR: {{ printf "0.0.0.0:%d" (int $v.metrics.port) | quote }}
FEED_EVENTS_TOPIC: {{ $v.kafka.topic | quote }}
FEED_EVENTS_PARTITIONS: {{ $v.kafka.partitions | toString | quote }}
FEED_CONSUMER_GROUP: {{ $v.kafka.consumerGroup | quote }}
FEED_KAFKA_TIMEOUT_S: {{ $v.kafka.timeoutSeconds | toString | quote }}
FEED_TIMELINE_MAX: {{ $v.config.timelineMax | toString | quote }}
FEED_POST_MAX_CHARS: {{ $v.config.postMaxChars | toString | quote }}
FEED_FANOUT_BATCH_MAX: {{ $v.config.fanoutBatchMax | toString | quote }}
FEED_OUTBOX_POLL_MS: {{ $v.config.outboxPollMs | toString | quote }}
FEED_OUTBOX_IDLE_MAX_MS: {{ $v.config.outboxIdleMaxMs | toString | quote }}
FEED_OUTBOX_BATCH: {{ $v.config.outboxBatch | toString | quote }}
FEED_POST_CACHE_TTL_S: {{ $v.config.postCacheTtlSeconds | toString | quote }}
FEED_CELEBRITY_THRESHOLD: {{ $v.config.celebrityThreshold | toString | quote }}
FEED_INACTIVE_DAYS: {{ $v.config.inactiveDays | toString | quote }}
FEED_GROUP_INVITE_TTL_S: {{ $v.config.groupInviteTtlSeconds | int64 | toString | quote }}
FEED_READ_TIME_RETENTION_S: {{ $v.config.readTimeRetentionSeconds | int64 | toString | quote }}
FEED_RPC_THREADS: {{ $v.config.rpcThreads | toString | quote }}
FEED_STREAM_MAX: {{ $v.config.streamMax | toString | quote }}
FEED_WRITE_RATE_PER_S: {{ $v.config.writeRatePerSecond | toString | quote }}
FEED_WRITE_BURST: {{ $v.config.writeBurst | toString | quote }}
FEED_READ_RATE_PER_S: {{ $v.config.readRatePerSecond | toString | quote }}
FEED_READ_BURST: {{ $v.config.readBurst | toString | quote }}
FEED_TRACE_RECORD: {{ $v.config.traceRecord | quote }}
FEED_TRACE_SAMPLE: {{ $v.config.traceSample | toString | quote }}
FEED_JWT_ALGORITHM: {{ $v.auth.jwt.algorithm | quote }}
FEED_JWT_SECRET_FILE: ""
FEED_JWT_PUBLIC_KEY_FILE: {{ ternary "/etc/feed/jwt/public.pem" "" (ne $v.auth.jwt.publicKeySecret "") | quote }}
FEED_JWT_PRIVATE_KEY_FILE: ""
FEED_JWT_MAX_LIFETIME_S: {{ $v.auth.jwt.maxLifetimeSeconds | toString | quote }}
{{- end }}

{{/*
Container env drawn from Secrets, by name and key only. Redis: Kubernetes expands
$(REDIS_PASSWORD) in a later variable's value, which puts the password into the URL the
code reads without it ever being a value of this chart. Call with (dict "root" $ "jwt" bool).
*/}}
{{- define "feed.secretEnv" -}}
{{- $v := .root.Values -}}
{{- with $v.cassandra.auth.existingSecret }}
- name: FEED_CASSANDRA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $v.cassandra.auth.passwordKey }}
{{- end }}
{{- with $v.redis.auth.existingSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $v.redis.auth.passwordKey }}
{{- $url := splitn "://" 2 $v.redis.url }}
- name: FEED_REDIS_URL
  value: {{ printf "%s://:$(REDIS_PASSWORD)@%s" $url._0 $url._1 | quote }}
{{- end }}
{{- if .jwt }}
{{- with $v.auth.jwt.existingSecret }}
- name: FEED_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $v.auth.jwt.secretKey }}
{{- end }}
{{- end }}
{{- end }}

{{/*
OpenTelemetry's standard variables when tracing.enabled (none otherwise: no exporter): where spans go,
the share of traces kept (parent-based, so a caller's decision wins), and which component and pod sent
them (the downward API fills the pod and namespace). Call with (dict "root" $ "component" "write").
*/}}
{{- define "feed.tracingEnv" -}}
{{- $t := .root.Values.tracing -}}
{{- if $t.enabled }}
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: OTEL_SERVICE_NAME
  value: {{ printf "feed-%s" .component | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "service.namespace=feed,service.version=%s,k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.pod.name=$(K8S_POD_NAME)" .root.Chart.AppVersion | quote }}
- name: OTEL_TRACES_EXPORTER
  value: otlp
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ required "tracing.otlpEndpoint is required when tracing.enabled is true" $t.otlpEndpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $t.protocol | quote }}
- name: OTEL_TRACES_SAMPLER
  value: parentbased_traceidratio
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $t.sampleRatio | toString | quote }}
{{- end }}
{{- end }}

{{/* A feed container's env: Secrets by reference, then tracing. Call with (dict "root" $ "component" c "jwt" bool). */}}
{{- define "feed.env" -}}
{{ include "feed.secretEnv" . }}
{{ include "feed.tracingEnv" . }}
{{- end }}

{{- define "feed.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
fsGroup: {{ .Values.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "feed.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Pod spec fields every workload shares: scheduling, identity, security, /tmp.
Call with (dict "root" $ "serviceAccountName" name).
*/}}
{{- define "feed.podCommon" -}}
{{- $v := .root.Values -}}
serviceAccountName: {{ .serviceAccountName }}
automountServiceAccountToken: false
securityContext:
  {{- include "feed.podSecurityContext" .root | nindent 2 }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ $v.tmpSizeLimit }}
  {{- with $v.auth.jwt.publicKeySecret }}
  - name: jwt-public-key
    secret:
      secretName: {{ . }}
      items:
        - key: {{ $v.auth.jwt.publicKeyKey }}
          path: public.pem
  {{- end }}
{{- end }}

{{- define "feed.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.auth.jwt.publicKeySecret }}
- name: jwt-public-key
  mountPath: /etc/feed/jwt
  readOnly: true
{{- end }}
{{- end }}

{{/* Pod metadata of a Deployment: a config checksum, so a changed ConfigMap rolls the pods. */}}
{{- define "feed.podMetadata" -}}
{{- $root := .root -}}
labels:
  {{- include "feed.componentLabels" . | nindent 2 }}
  {{- with $root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
  {{- with $root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{- define "feed.topologySpread" -}}
{{- $root := .root -}}
{{- if $root.Values.topologySpread.enabled }}
topologySpreadConstraints:
{{- range $root.Values.topologySpread.constraints }}
  - topologyKey: {{ .topologyKey }}
    maxSkew: {{ .maxSkew }}
    whenUnsatisfiable: {{ .whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "feed.componentSelectorLabels" $ | nindent 8 }}
    matchLabelKeys:
      - pod-template-hash
{{- end }}
{{- end }}
{{- end }}

{{- define "feed.resources" -}}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}

{{/*
Checks that values.schema.json cannot express because they relate two values.
Called from the ConfigMap, which every install renders.
*/}}
{{- define "feed.checks" -}}
{{- $v := .Values -}}
{{- $partitions := int $v.kafka.partitions -}}
{{- if and $v.worker.keda.enabled (gt (int $v.worker.keda.maxReplicaCount) $partitions) }}
{{- fail (printf "worker.keda.maxReplicaCount (%d) must not be above kafka.partitions (%d): a partition has one consumer per group, so workers past the partition count would sit idle" (int $v.worker.keda.maxReplicaCount) $partitions) }}
{{- end }}
{{- if and $v.worker.keda.enabled (gt (int $v.worker.keda.minReplicaCount) (int $v.worker.keda.maxReplicaCount)) }}
{{- fail (printf "worker.keda.minReplicaCount (%d) must not be above worker.keda.maxReplicaCount (%d)" (int $v.worker.keda.minReplicaCount) (int $v.worker.keda.maxReplicaCount)) }}
{{- end }}
{{- if and (not $v.worker.keda.enabled) (gt (int $v.worker.replicaCount) $partitions) }}
{{- fail (printf "worker.replicaCount (%d) must not be above kafka.partitions (%d): a partition has one consumer per group, so workers past the partition count would sit idle" (int $v.worker.replicaCount) $partitions) }}
{{- end }}
{{- range $component := list "write" "read" "web" }}
{{- with (index $v $component).autoscaling }}
{{- if and .enabled (gt (int .minReplicas) (int .maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas (%d) must not be above %s.autoscaling.maxReplicas (%d)" $component (int .minReplicas) $component (int .maxReplicas)) }}
{{- end }}
{{- end }}
{{- $c := index $v $component }}
{{- if lt (int $c.terminationGracePeriodSeconds) (add (int $c.preStopSleepSeconds) 10 | int) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must cover %s.preStopSleepSeconds (%d) plus the server's 10 s drain" $component (int $c.terminationGracePeriodSeconds) $component (int $c.preStopSleepSeconds)) }}
{{- end }}
{{- end }}
{{- $ports := dict }}
{{- range $name, $port := dict "write.port" $v.write.port "read.port" $v.read.port "read.streamPort" $v.read.streamPort "web.port" $v.web.port "metrics.port" $v.metrics.port }}
{{- $key := toString $port }}
{{- if hasKey $ports $key }}
{{- fail (printf "%s and %s are both %s: every port must differ" (get $ports $key) $name $key) }}
{{- end }}
{{- $_ := set $ports $key $name }}
{{- end }}
{{- if and $v.cassandra.auth.username (not $v.cassandra.auth.existingSecret) }}
{{- fail "cassandra.auth.username is set but cassandra.auth.existingSecret is not: the code needs the username and the password together" }}
{{- end }}
{{- if and $v.cassandra.auth.existingSecret (not $v.cassandra.auth.username) }}
{{- fail "cassandra.auth.existingSecret is set but cassandra.auth.username is not: the code needs the username and the password together" }}
{{- end }}
{{- $managed := merge (include "feed.settingsEnv" . | fromYaml) (include "feed.cassandraEnv" . | fromYaml) (dict "FEED_REDIS_URL" "" "FEED_CASSANDRA_USERNAME" "" "FEED_CASSANDRA_PASSWORD" "" "FEED_JWT_SECRET" "") }}
{{- range $name, $_ := $v.config.extraEnv }}
{{- if hasKey $managed $name }}
{{- fail (printf "config.extraEnv.%s is set by the chart from its own values; set that value instead" $name) }}
{{- end }}
{{- end }}
{{- end }}
