#!/usr/bin/env bash
# Makes a development CA and the pprl certificates in DIR (OpenSSL command line, EC P-256), and
# an empty certificate revocation list DIR/crl.pem. The subject has exactly one OU, the role,
# and the CN names the holder. Each certificate serves one purpose: server certificates carry
# extendedKeyUsage serverAuth only (linker, analyzer-server, agent-police-server,
# agent-vh-server; they name localhost, 127.0.0.1 and any extra host names given), client
# certificates clientAuth only (analyzer and agent-* for the daemons' calls to the linker,
# officer-*, analyst, auditor). For development and tests only: a deployment's CA belongs to
# its operator (README, "What a production PKI must issue"). Also the audit log's signing key
# (audit-log.key, audit-log.pub.pem).
#
# Usage: deploy/make-dev-certs.sh DIR [extra-host ...]
#        deploy/make-dev-certs.sh --issue DIR NAME ROLE CN server|client [extra-host ...]
#        deploy/make-dev-certs.sh --revoke DIR NAME     (adds DIR/NAME.pem to DIR/crl.pem)
set -euo pipefail
mode=make
if [[ ${1:-} == --issue || ${1:-} == --revoke ]]; then mode=${1#--}; shift; fi
dir=${1:?usage: make-dev-certs.sh DIR [extra-host ...]}
shift
mkdir -p "$dir"
cd "$dir"
umask 077

# The openssl ca database that signs the CRL.
ca_conf() {
  cat > ca.cnf <<CNF
[ca]
default_ca = dev
[dev]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 30
certificate = ca.pem
private_key = ca.key
CNF
  [ -e index.txt ] || : > index.txt
  [ -e crlnumber ] || echo 01 > crlnumber
}
gencrl() {
  ca_conf
  openssl ca -config ca.cnf -gencrl -out crl.pem 2>/dev/null
  chmod 644 crl.pem
}

# name role cn server|client [hosts...]
issue() {
  local name=$1 role=$2 cn=$3 use=$4
  shift 4
  local san="DNS:localhost,IP:127.0.0.1" h eku=clientAuth
  for h in "$@"; do
    if [[ $h =~ ^[0-9.]+$ ]]; then san="$san,IP:$h"; else san="$san,DNS:$h"; fi
  done
  [ "$use" = server ] && eku=serverAuth
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key" 2>/dev/null
  openssl req -new -key "$name.key" -subj "/O=pprl dev/OU=$role/CN=$cn" -out "$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ "$use" = server ] && echo "subjectAltName=$san"
  } > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
    -sha256 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext" ca.srl
  chmod 644 "$name.pem"
}

case $mode in
  issue)
    issue "$@"
    exit 0 ;;
  revoke)
    ca_conf
    openssl ca -config ca.cnf -revoke "${1:?usage: make-dev-certs.sh --revoke DIR NAME}.pem" 2>/dev/null
    gencrl
    exit 0 ;;
esac

openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/O=pprl dev/CN=pprl dev CA" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem 2>/dev/null
rm -f index.txt index.txt.* crlnumber crlnumber.*

issue linker linker linker server "$@"
issue analyzer-server analyzer analyzer server "$@"
issue analyzer analyzer analyzer client
issue agent-police-server agent police server "$@"
issue agent-police agent police client
issue agent-vh-server agent veiligheidshuis server "$@"
issue agent-vh agent veiligheidshuis client
issue officer-police data-officer officer-police client
issue officer-vh data-officer officer-vh client
issue analyst analyst analyst client
issue auditor auditor auditor client
gencrl
# The audit log's Ed25519 signing key (pprl-linker's default: beside its TLS key) and the
# public key auditors verify the log with (pprl audit verify --log-key).
openssl genpkey -algorithm ed25519 -out audit-log.key 2>/dev/null
openssl pkey -in audit-log.key -pubout -out audit-log.pub.pem 2>/dev/null
chmod 600 audit-log.key; chmod 644 audit-log.pub.pem
chmod 644 ca.pem
echo "make-dev-certs: CA, certificates and an empty crl.pem in $dir"
