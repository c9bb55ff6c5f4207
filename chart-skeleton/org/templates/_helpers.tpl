{{/*
Helpers of the org chart. Every name is prefixed with "org." (Helm shares defined names
across a parent and all its subcharts; every org subchart is a copy of this chart, so
their definitions are identical and clobbering is harmless).
*/}}

{{/* The chart label: name-version, "+" replaced as label values require. */}}
{{- define "org.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of one workload. Call with (dict "ctx" $ "component" "peer" "node" "peer0").
Selectors are immutable: only stable labels here.
*/}}
{{- define "org.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
fabchart.io/node: {{ .node }}
{{- end }}

{{/* All labels of an object. Same arguments as org.selectorLabels. */}}
{{- define "org.labels" -}}
{{ include "org.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: {{ .ctx.Values.global.network }}
app.kubernetes.io/version: {{ .ctx.Values.global.fabricVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ include "org.chart" .ctx }}
fabchart.io/network: {{ .ctx.Values.global.network }}
fabchart.io/org: {{ .ctx.Values.org.slug }}
{{- end }}

{{/* "repository:tag" of a component: (include "org.image" (dict "ctx" $ "component" "peer")) */}}
{{- define "org.image" -}}
{{- $i := index .ctx.Values.images .component -}}
{{ printf "%s:%s" $i.repository $i.tag }}
{{- end }}

{{/* Pod-level settings shared by every workload: pull secrets, scheduling. Indent 6. */}}
{{- define "org.podSpec" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
An init container that waits until host:port accepts TCP connections (the talk's start
order: CA before CLI and peers, Kafka before orderers).
Call with (dict "ctx" $ "name" "wait-for-ca" "address" "ca.org1.svc.cluster.local:7054").
*/}}
{{- define "org.waitFor" -}}
- name: {{ .name }}
  image: {{ include "org.image" (dict "ctx" .ctx "component" "busybox") }}
  imagePullPolicy: {{ .ctx.Values.imagePullPolicy }}
  command: ["sh", "-c", {{ printf "until nc -z -w 2 %s %s; do echo waiting for %s; sleep 2; done" (splitList ":" .address | first) (splitList ":" .address | last) .address | quote }}]
{{- end }}

{{/* The crypto values, or a clear failure when the chart is installed without them. */}}
{{- define "org.crypto" -}}
{{- if not .Values.crypto -}}
{{- fail (printf "no crypto material: install with -f OUT/secrets/%s-crypto.yaml (written by fabchart build, mode 0600)" .Values.org.slug) -}}
{{- end -}}
{{- end }}

{{/* Pod annotations of the plain-Prometheus convention (monitoring.annotations.enabled):
scrape the operations endpoint's /metrics over HTTP. Call with (dict "ctx" $ "port" N).
Indent 8 (pod template metadata.annotations). */}}
{{- define "org.scrapeAnnotations" -}}
{{- if .ctx.Values.monitoring.annotations.enabled }}
prometheus.io/scrape: "true"
prometheus.io/scheme: http
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* Probes on the operations endpoint's /healthz, or with "tcp" true a TCP connect to
"port" (a Fabric 1.4 peer's /healthz includes a Docker check no Kubernetes pod can pass).
Call with (dict "ctx" $ "port" "operations" ["tcp" true]). */}}
{{- define "org.probes" -}}
{{- if .ctx.Values.probes.enabled }}
{{- $check := ternary (printf "tcpSocket: {port: %s}" .port) (printf "httpGet: {path: /healthz, port: %s}" .port) (.tcp | default false) }}
readinessProbe:
  {{ $check }}
  initialDelaySeconds: {{ .ctx.Values.probes.initialDelaySeconds }}
  periodSeconds: {{ .ctx.Values.probes.periodSeconds }}
  failureThreshold: {{ .ctx.Values.probes.failureThreshold }}
livenessProbe:
  {{ $check }}
  initialDelaySeconds: {{ .ctx.Values.probes.initialDelaySeconds }}
  periodSeconds: {{ .ctx.Values.probes.periodSeconds }}
  failureThreshold: {{ .ctx.Values.probes.failureThreshold }}
{{- end }}
{{- end }}

{{/*
The Service that publishes a node's planned NodePorts, and only those: a NodePort Service
allocates a node port for every port it has, and a dynamically allocated one could take
another org's planned port. The node's own Service (its DNS names are its TLS SANs) stays
ClusterIP with every port. Nothing is rendered for service.type ClusterIP or when the node
has no planned NodePort.
Call with (dict "ctx" $ "component" "peer" "node" $p.hostname "name" $p.nodePortService
"ports" $p.ports "nodePorts" $p.nodePorts).
*/}}
{{- define "org.publishService" -}}
{{- if and .name .nodePorts (ne .ctx.Values.service.type "ClusterIP") }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ .ctx.Values.org.namespace }}
  labels:
    {{- include "org.labels" (dict "ctx" .ctx "component" .component "node" .node) | nindent 4 }}
spec:
  type: {{ .ctx.Values.service.type }}
  selector:
    {{- include "org.selectorLabels" (dict "ctx" .ctx "component" .component "node" .node) | nindent 4 }}
  ports:
    {{- range $name, $nodePort := .nodePorts }}
    - name: {{ $name }}
      protocol: TCP
      port: {{ index $.ports $name }}
      targetPort: {{ $name }}
      {{- if eq $.ctx.Values.service.type "NodePort" }}
      nodePort: {{ $nodePort }}
      {{- end }}
    {{- end }}
{{- end }}
{{- end }}

{{/*
A container's env: the chart's entries, each replaced in place by an entry of the same name
in "extra" (the user's extraEnv.<component>), then the other extra entries in their order
(a name given twice: the last wins). Every name appears once, so Kubernetes never sees a
duplicate (which the API server only warns about, and `apply` may merge either way).
Call with (dict "base" <the chart's env as YAML list text> "extra" <list of {name, value |
valueFrom}>). Renders list items at indent 0.
*/}}
{{- define "org.env" -}}
{{- $byName := dict -}}
{{- $names := list -}}
{{- range $e := .base | fromYamlArray -}}
{{- if not (hasKey $byName $e.name) }}{{ $names = append $names $e.name }}{{ end -}}
{{- $_ := set $byName $e.name $e -}}
{{- end -}}
{{- range $e := .extra | default list -}}
{{- if not $e.name }}{{ fail (printf "an extraEnv entry has no name: %s" (toJson $e)) }}{{ end -}}
{{- if not (hasKey $byName $e.name) }}{{ $names = append $names $e.name }}{{ end -}}
{{- $_ := set $byName $e.name $e -}}
{{- end -}}
{{- $out := list -}}
{{- range $n := $names }}{{ $out = append $out (index $byName $n) }}{{ end -}}
{{- toYaml $out -}}
{{- end }}

{{/*
The init container of a Fabric 2.5/3.1 peer that writes the core.yaml it runs with: the
image's own (${FABRIC_CFG_PATH:-/etc/hyperledger/fabric}/core.yaml) with `vm.endpoint`
emptied, into the emptyDir fabric-config (the peer's FABRIC_CFG_PATH). A peer with a
vm.endpoint registers a Docker health checker, and no Kubernetes node has a Docker socket
for it: /healthz would answer 503 forever. Fails when the image's core.yaml has no
vm.endpoint (an unknown layout: better no peer than a wrong one). POSIX sh and awk.
Call with the root context; renders one list item at indent 0.
*/}}
{{- define "org.coreYaml" -}}
- name: core-yaml
  image: {{ include "org.image" (dict "ctx" . "component" "peer") }}
  imagePullPolicy: {{ .Values.imagePullPolicy }}
  command:
    - /bin/sh
    - -c
    - |
      set -eu
      src="${FABRIC_CFG_PATH:-/etc/hyperledger/fabric}/core.yaml"
      awk '
        /^[^ \t#]/ { top = $0 }
        top ~ /^vm:/ && /^[ \t]+endpoint:/ && !done { sub(/endpoint:.*/, "endpoint: \"\""); done = 1 }
        { print }
        END { if (!done) exit 3 }
      ' "$src" >/etc/hyperledger/fabric-config/core.yaml || { echo "$src has no vm.endpoint: cannot write the peer's core.yaml"; exit 1; }
      echo "core.yaml: $src with vm.endpoint emptied (no Docker health check; chaincode runs as a service)"
  volumeMounts:
    - {name: fabric-config, mountPath: /etc/hyperledger/fabric-config}
{{- end }}
