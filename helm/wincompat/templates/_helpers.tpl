{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "wincompat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, plus the chart name unless the release name
already contains it.
*/}}
{{- define "wincompat.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "wincompat.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "wincompat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wincompat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "wincompat.labels" -}}
helm.sh/chart: {{ include "wincompat.chart" . }}
{{ include "wincompat.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "wincompat.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "wincompat.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "wincompat.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Name of the dockerconfigjson Secret with registry credentials; empty when there is none.
*/}}
{{- define "wincompat.registrySecretName" -}}
{{- if .Values.registryCredentials.existingSecret }}
{{- .Values.registryCredentials.existingSecret }}
{{- else if .Values.registryCredentials.create }}
{{- printf "%s-registry" (include "wincompat.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
The .dockerconfigjson the chart creates: dockerConfigJson verbatim, or built from auths.
*/}}
{{- define "wincompat.dockerConfigJson" -}}
{{- $rc := .Values.registryCredentials }}
{{- if $rc.dockerConfigJson }}
{{- $rc.dockerConfigJson }}
{{- else }}
{{- $auths := dict }}
{{- range $host, $cred := $rc.auths }}
{{- $_ := set $auths $host (dict "username" $cred.username "password" $cred.password "auth" (printf "%s:%s" $cred.username $cred.password | b64enc)) }}
{{- end }}
{{- dict "auths" $auths | toJson }}
{{- end }}
{{- end }}

{{/*
Path of the credentials file inside the container.
*/}}
{{- define "wincompat.dockerConfigPath" -}}
{{- printf "%s/config.json" (trimSuffix "/" .Values.registryCredentials.mountPath) }}
{{- end }}

{{/*
"true" when more than one pod runs, so a PodDisruptionBudget means something.
*/}}
{{- define "wincompat.multiplePods" -}}
{{- if .Values.autoscaling.enabled }}
{{- if gt (int .Values.autoscaling.minReplicas) 1 }}true{{ end }}
{{- else if gt (int .Values.replicaCount) 1 }}true
{{- end }}
{{- end }}

{{/*
Fail early on settings that contradict each other.
*/}}
{{- define "wincompat.validate" -}}
{{- if and .Values.redis.url .Values.redis.existingSecret }}
{{- fail "set only one of redis.url and redis.existingSecret" }}
{{- end }}
{{- if and .Values.registryCredentials.create .Values.registryCredentials.existingSecret }}
{{- fail "set only one of registryCredentials.create and registryCredentials.existingSecret" }}
{{- end }}
{{- if and .Values.registryCredentials.create (not .Values.registryCredentials.dockerConfigJson) (not .Values.registryCredentials.auths) }}
{{- fail "registryCredentials.create needs registryCredentials.auths or registryCredentials.dockerConfigJson" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}
