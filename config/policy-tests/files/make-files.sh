#!/bin/sh
# Rebuilds the sample attachments and messages the policy tests use.
# Needs python3, zip and openssl. Run it from this folder: ./make-files.sh
set -eu
cd "$(dirname "$0")"

# A Word document whose body is clean, and one that still holds a tracked
# insertion, a tracked deletion and a comment.
python3 - <<'PY'
import zipfile

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"""
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

def document(paragraphs):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document {W}><w:body>{paragraphs}</w:body></w:document>')

CLEAN = document('<w:p><w:r><w:t>Supply agreement, clause 4: the price is fixed for three years.</w:t></w:r></w:p>')
REDLINE = document(
    '<w:p><w:r><w:t>Supply agreement, clause 4: the price is fixed for </w:t></w:r>'
    '<w:del w:id="1" w:author="Jane Doe" w:date="2026-11-02T10:00:00Z"><w:r><w:delText>five</w:delText></w:r></w:del>'
    '<w:ins w:id="2" w:author="Jane Doe" w:date="2026-11-02T10:00:00Z"><w:r><w:t>three</w:t></w:r></w:ins>'
    '<w:r><w:t> years.</w:t></w:r></w:p>')

for name, body in (("supply-agreement-clean.docx", CLEAN), ("supply-agreement-redline.docx", REDLINE)):
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as docx:
        for member, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS),
                             ("word/document.xml", body)):
            info = zipfile.ZipInfo(member, date_time=(2026, 11, 2, 10, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            docx.writestr(info, text)
PY

# A password-protected ZIP archive (ZipCrypto, as most tools still make it).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'ACME-000101 to ACME-000250\nHIGHLY CONFIDENTIAL - ATTORNEYS EYES ONLY\n' >"$tmp/index.txt"
rm -f production-vol3.zip
(cd "$tmp" && zip -q -X -P 'correct horse battery' "$OLDPWD/production-vol3.zip" index.txt)

# S/MIME-encrypted messages, for a throwaway certificate.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=counsel@globex-litigators.example" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
printf 'Content-Type: text/plain; charset=utf-8\n\nATTORNEY-CLIENT PRIVILEGED\nOur assessment of the settlement offer follows.\n' \
  >"$tmp/privileged.txt"
openssl smime -encrypt -aes256 -in "$tmp/privileged.txt" -out smime-privileged.eml \
  -from jdoe@examplelaw.com -to gc@acme-widgets.example -subject "Settlement offer" "$tmp/cert.pem"
printf 'Content-Type: text/plain; charset=utf-8\n\nPlease wire the purchase price to IBAN DE89 3704 0044 0532 0130 00.\nSeller SSN 536-22-1234.\n' \
  >"$tmp/wiring.txt"
openssl smime -encrypt -aes256 -in "$tmp/wiring.txt" -out smime-wiring.eml \
  -from tnguyen@examplelaw.com -to treasury@fabrikam.example -subject "Closing payment" "$tmp/cert.pem"
printf 'Content-Type: text/plain; charset=utf-8\n\nProduction volume 3, ACME-000101 to ACME-000250.\n' >"$tmp/production.txt"
openssl smime -encrypt -aes256 -in "$tmp/production.txt" -out smime-production.eml \
  -from mrossi@examplelaw.com -to counsel@globex-litigators.example \
  -subject "[production] Acme v. Globex, volume 3" "$tmp/cert.pem"
