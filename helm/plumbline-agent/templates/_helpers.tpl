{{/* Chart name, truncated to the 63 characters a label value may hold. */}}
{{- define "plumbline-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-<chart>", or the release name when it already contains the chart name. */}}
{{- define "plumbline-agent.fullname" -}}
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

{{/* The recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels). */}}
{{- define "plumbline-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "plumbline-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: plumbline
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "plumbline-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "plumbline-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "plumbline-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "plumbline-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "plumbline-agent.leaseName" -}}
{{- default (include "plumbline-agent.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{- define "plumbline-agent.hmacSecretName" -}}
{{- default (printf "%s-hmac" (include "plumbline-agent.fullname" .)) .Values.hmacKey.existingSecret }}
{{- end }}

{{- define "plumbline-agent.bundleConfigMapName" -}}
{{- default (printf "%s-bundle" (include "plumbline-agent.fullname" .)) .Values.targets.bundleConfigMap.name }}
{{- end }}

{{/* The agent's config file: .Values.config, plus the leader election settings when on. */}}
{{- define "plumbline-agent.config" -}}
{{- $config := deepCopy .Values.config }}
{{- if .Values.leaderElection.enabled }}
{{- $_ := set $config "leaderElection" (dict "enabled" true "leaseName" (include "plumbline-agent.leaseName" .) "leaseNamespace" .Release.Namespace) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* git-sync arguments shared by the init container and the sidecar. */}}
{{- define "plumbline-agent.gitSyncArgs" -}}
- --repo={{ required "targets.gitSync.repo is required when targets.source is gitSync" .Values.targets.gitSync.repo }}
- --ref={{ .Values.targets.gitSync.ref }}
- --root=/targets
- --link=current
- --depth={{ .Values.targets.gitSync.depth }}
{{- range .Values.targets.gitSync.extraArgs }}
- {{ . }}
{{- end }}
{{- end }}

{{/* The git-sync container, without its name and mode arguments. */}}
{{- define "plumbline-agent.gitSyncContainer" -}}
image: "{{ .Values.targets.gitSync.image.repository }}:{{ .Values.targets.gitSync.image.tag }}"
imagePullPolicy: {{ .Values.targets.gitSync.image.pullPolicy }}
env:
  - name: HOME
    value: /tmp
{{- with .Values.targets.gitSync.credentialsSecret }}
envFrom:
  - secretRef:
      name: {{ . }}
{{- end }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
resources:
  {{- toYaml .Values.targets.gitSync.resources | nindent 2 }}
volumeMounts:
  - name: targets
    mountPath: /targets
  - name: git-sync-tmp
    mountPath: /tmp
{{- end }}
