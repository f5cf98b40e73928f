{{- define "fitvision.labels" -}}
app.kubernetes.io/part-of: fitvision
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* In-cluster URL of a gRPC service: its headless Service, whose name resolves to
     every ready replica (the caller balances over them). */}}
{{- define "fitvision.grpcUrl" -}}
http://{{ .release }}-{{ .name }}-replicas:{{ .port }}
{{- end -}}
