#!/usr/bin/env bash
# Makes test credentials for a secured recd in DIR (default data/certs):
#   ca.pem / ca.key            a CA that signs the two certificates below
#   server.pem / server.key    the server, for localhost and 127.0.0.1 (SAN)
#   client.pem / client.key    a client certificate (mutual TLS)
#   tokens                     one random token per role, as `ROLE SHA256_HEX` (server.auth.tokens_file)
#   tokens.txt                 the plain tokens, as `ROLE TOKEN` (for clients; keep it secret)
# For tests and demos only: the keys are unencrypted and the CA is yours.
# Existing files in DIR are replaced.
set -euo pipefail

dir=${1:-data/certs}
days=${DAYS:-825}
mkdir -p "$dir"
cd "$dir"
umask 077

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/CN=recd test CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# sign NAME CN EXTENSIONS: NAME.key and NAME.pem signed by the CA.
sign() {
  local name=$1 cn=$2 ext=$3
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$cn" \
    -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf '%s\n' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}
sign server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
sign client "recd client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
rm -f ca.srl

{
  echo "# recd tokens: ROLE SHA256_HEX_OF_TOKEN (made by make-test-certs.sh $(date -u +%FT%TZ))"
  : > tokens.txt
  for role in serve write admin; do
    token=$(openssl rand -hex 32)
    echo "$role $token" >> tokens.txt
    echo "$role $(printf '%s' "$token" | openssl dgst -sha256 -r | cut -d' ' -f1)"
  done
} > tokens
chmod 644 ca.pem server.pem client.pem tokens
echo "make-test-certs: wrote ca.pem server.pem server.key client.pem client.key tokens tokens.txt to $dir"
