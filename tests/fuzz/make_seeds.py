#!/usr/bin/env python3
"""Builds each fuzz target's seed folder from what the repository already has.

    make_seeds.py SOURCE_DIR OUT_DIR [CORPUS_DIR]

OUT_DIR/<target>/ receives the committed seeds (tests/fuzz/seeds/<target>/)
and reproducers of fixed bugs (tests/fuzz/regressions/<target>/), plus seeds made from tests/fixtures/, config/policy/, config/directory/,
config/policy-tests/files/ and, when given and present, the shared mail
corpus. Documents and archives are wrapped as attachments so that the
message-level targets reach their readers. File names are content hashes,
so re-running adds nothing twice.
"""

import hashlib
import sys
from email.message import EmailMessage
from pathlib import Path

TARGETS = ["content_extraction_fuzzer", "policy_loader_fuzzer", "release_token_fuzzer", "milter_session_fuzzer",
           "milter_wire_fuzzer"]
MAX_SEED_BYTES = 1 << 20
MAX_SESSION_SEED_BYTES = 128 << 10
DIRECTORY_FILES = ["users.csv", "groups.yaml", "clients.csv", "matters.csv", "walls.yaml", "webmail.txt"]
ATTACHMENT_TYPES = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".zip": "application/zip",
    ".pdf": "application/pdf",
    ".dat": "application/ms-tnef",
}
# How a conversation starts, cycled over the messages: an authenticated
# sender writing out, a relay on the firm's network, mail from outside,
# and mail between colleagues.
SESSION_PRELUDES = [
    "connect ws1.examplelaw.com 10.1.2.3 smtpd\nmail <jdoe@examplelaw.com> jdoe Q1\n"
    "rcpt <bob@acme-widgets.example>\nrcpt <someone@gmail.com>\ndata\nmessage\n",
    "connect dms.examplelaw.com 10.0.0.5 smtpd\nmail <asmith@examplelaw.com>\nrcpt <counsel@globex.example>\nmessage\n",
    "connect mx.outside.example 192.0.2.7 smtpd\nmail <someone@outside.example>\nrcpt <jdoe@examplelaw.com>\nmessage\n",
    "mail <jdoe@examplelaw.com> jdoe\nrcpt <asmith@examplelaw.com>\nmessage\n",
]


def packet(command: bytes, data: bytes = b"") -> bytes:
    return (len(data) + 1).to_bytes(4, "big") + command + data


def wire_conversation(raw: bytes, protocol: int) -> bytes:
    """The milter packets Postfix sends for one message: negotiation (all
    actions, `protocol` bits), macros, connect, MAIL, RCPT, the header
    fields, end of headers, the body in 64 KB pieces, end of message, quit.
    Prefixed with 0xFF: the stream is read at once."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        elif b":" in line:
            fields.append(line)
    out = packet(b"O", (6).to_bytes(4, "big") + (0x1FF).to_bytes(4, "big") + protocol.to_bytes(4, "big"))
    out += packet(b"D", b"C{daemon_name}\0smtpd\0{client_addr}\x0010.1.2.3\0")
    out += packet(b"C", b"ws1.examplelaw.com\x004" + (25).to_bytes(2, "big") + b"10.1.2.3\0")
    out += packet(b"D", b"Mi\0Q1\0{auth_authen}\0jdoe\0")
    out += packet(b"M", b"<jdoe@examplelaw.com>\0")
    out += packet(b"R", b"<bob@acme-widgets.example>\0")
    for field in fields:
        name, _, value = field.partition(b":")
        out += packet(b"L", name + b"\0" + value.lstrip(b" ") + b"\0")
    out += packet(b"N")
    body = body.replace(b"\n", b"\r\n")
    for start in range(0, len(body), 65535):
        out += packet(b"B", body[start:start + 65535])
    out += packet(b"D", b"Ei\0Q1\0")
    return b"\xff" + out + packet(b"E") + packet(b"Q")


def write_seed(folder: Path, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(content).hexdigest()).write_bytes(content)


def files_under(*roots: Path):
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from sorted(p for p in root.rglob("*") if p.is_file())


def wrapped_attachment(path: Path) -> bytes:
    message = EmailMessage()
    message["From"] = "jdoe@examplelaw.com"
    message["To"] = "bob@acme-widgets.example"
    message["Subject"] = "Documents: " + path.name
    message["MIME-Version"] = "1.0"
    message.set_content("Attached, as discussed.\n")
    maintype, subtype = ATTACHMENT_TYPES[path.suffix.lower()].split("/")
    name = "winmail.dat" if path.suffix.lower() == ".dat" else path.name
    message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def messages(source: Path, corpus: Path | None):
    """Raw messages (and message-like text) for the message-level targets."""
    roots = [source / "tests/fixtures", source / "config/policy-tests/files"]
    if corpus is not None and corpus.is_dir():
        roots.append(corpus)
    for path in files_under(*roots):
        suffix = path.suffix.lower()
        if path.stat().st_size > MAX_SEED_BYTES:
            continue
        if suffix in (".eml", ".txt", ".mbox"):
            yield path.read_bytes()
        elif suffix in ATTACHMENT_TYPES:
            yield wrapped_attachment(path)


def policy_bundle(policy_files, directory: Path) -> bytes:
    """Several files as one policy_loader_fuzzer input ("#> name" lines)."""
    parts = []
    for index, path in enumerate(policy_files):
        header = b"" if index == 0 else b"#> " + path.name.encode() + b"\n"
        parts.append(header + path.read_bytes().rstrip(b"\n") + b"\n")
    for name in DIRECTORY_FILES:
        if (directory / name).is_file():
            parts.append(b"#> " + name.encode() + b"\n" + (directory / name).read_bytes().rstrip(b"\n") + b"\n")
    return b"".join(parts)


def policy_seeds(source: Path):
    shipped = sorted((source / "config/policy").glob("*.yaml"))
    suite = sorted((source / "tests/fixtures/policy-suite/policy").glob("*.yaml"))
    for path in files_under(source / "config/policy", source / "tests/fixtures/policy-suite",
                            source / "tests/fixtures/broken-policies"):
        if path.suffix == ".yaml":
            yield path.read_bytes()
    yield policy_bundle(shipped, source / "config/directory")
    yield policy_bundle(suite, source / "tests/fixtures/policy-suite/directory")
    yield policy_bundle(sorted((source / "tests/fixtures/broken-policies/duplicate-rule-id").glob("*.yaml")),
                        Path("/nonexistent"))


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    corpus = Path(sys.argv[3]) if len(sys.argv) == 4 else None
    for target in TARGETS:
        # Reproducers of fixed bugs run first on every run, like the seeds.
        committed = [source / "tests/fuzz/seeds" / target, source / "tests/fuzz/regressions" / target]
        for path in files_under(*committed):
            write_seed(out / target, path.read_bytes())
    session_count = 0
    for raw in messages(source, corpus):
        write_seed(out / "content_extraction_fuzzer", raw)
        if len(raw) <= MAX_SESSION_SEED_BYTES:
            prelude = SESSION_PRELUDES[session_count % len(SESSION_PRELUDES)]
            write_seed(out / "milter_session_fuzzer", prelude.encode() + raw)
            # Postfix's no-reply stages, and an MTA that waits at each.
            write_seed(out / "milter_wire_fuzzer", wire_conversation(raw, 0x1FFFFF if session_count % 2 else 0))
            session_count += 1
    for seed in policy_seeds(source):
        write_seed(out / "policy_loader_fuzzer", seed)
    for target in TARGETS:
        count = len(list((out / target).glob("*"))) if (out / target).is_dir() else 0
        print(f"seeds: {target}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
