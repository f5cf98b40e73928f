{{- define "fitvision.labels" -}}
app.kubernetes.io/part-of: fitvision
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* In-cluster URL of a gRPC service. */}}
{{- define "fitvision.grpcUrl" -}}
http://{{ .release }}-{{ .name }}:{{ .port }}
{{- end -}}
