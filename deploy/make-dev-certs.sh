#!/usr/bin/env bash
# Makes a development CA and one certificate per role in DIR (OpenSSL command line, EC P-256).
# The subject's OU is the role, the CN the holder; server certificates name localhost,
# 127.0.0.1 and any extra host names given. Also the audit log's signing key (audit-log.key,
# audit-log.pub.pem). For development and tests only: a deployment's
# CA belongs to its operator.
#
# Usage: deploy/make-dev-certs.sh DIR [extra-host ...]
set -euo pipefail
dir=${1:?usage: make-dev-certs.sh DIR [extra-host ...]}
shift
mkdir -p "$dir"
cd "$dir"
umask 077

san="DNS:localhost,IP:127.0.0.1"
for h in "$@"; do
  if [[ $h =~ ^[0-9.]+$ ]]; then san="$san,IP:$h"; else san="$san,DNS:$h"; fi
done

openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/O=pprl dev/CN=pprl dev CA" \
  -out ca.pem 2>/dev/null

# name role cn
issue() {
  local name=$1 role=$2 cn=$3 days=${4:-825}
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key" 2>/dev/null
  openssl req -new -key "$name.key" -subj "/O=pprl dev/OU=$role/CN=$cn" -out "$name.csr" 2>/dev/null
  cat > "$name.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san
EXT
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
    -sha256 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

issue linker linker linker
issue analyzer analyzer analyzer
issue agent-police agent police
issue agent-vh agent veiligheidshuis
issue officer-police data-officer officer-police
issue officer-vh data-officer officer-vh
issue analyst analyst analyst
issue auditor auditor auditor
# The audit log's Ed25519 signing key (pprl-linker's default: beside its TLS key) and the
# public key auditors verify the log with (pprl audit verify --log-key).
openssl genpkey -algorithm ed25519 -out audit-log.key 2>/dev/null
openssl pkey -in audit-log.key -pubout -out audit-log.pub.pem 2>/dev/null
rm -f ca.srl
chmod 644 ./*.pem
echo "make-dev-certs: CA and certificates in $dir"
