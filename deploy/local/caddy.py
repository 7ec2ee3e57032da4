"""Caddy (Debian's `caddy`, 2.6) in front of the app: HTTPS for every store's verified custom domain, each
certificate got on demand at the first TLS handshake for the name, once the app's ask endpoint says
yes (docs/domains.md). deploy/caddy/Caddyfile is the production configuration; this renders the same
one for a machine of ours (`dukaan cluster up --tls`, the TLS test): its ports, an ACME server (Pebble
in the test) and the state kept in a folder of ours, never Caddy's usual ~/.local/share/caddy.
Standard library only."""

from __future__ import annotations

from pathlib import Path

from deploy.local import throwaway

TEMPLATE = Path(__file__).resolve().parents[1] / "caddy" / "Caddyfile"


def find_caddy() -> str:
    return throwaway.program("caddy", "caddy")


def caddyfile(
    *,
    upstream: str,
    http_port: int,
    https_port: int,
    storage: Path,
    acme_ca: str = "",
    acme_ca_root: Path | None = None,
) -> str:
    """deploy/caddy/Caddyfile for this machine: `upstream` (host:port) serves the app and answers the
    ask endpoint; `acme_ca` and `acme_ca_root`, another ACME server than Let's Encrypt and its HTTPS
    certificate (Pebble's)."""
    text = TEMPLATE.read_text()
    text = text.replace("{$DUKAAN_UPSTREAM}", upstream)
    text = text.replace("{$ACME_EMAIL}", "ops@example.com")
    extra = [
        "admin off",
        f"http_port {http_port}",
        f"https_port {https_port}",
        f"storage file_system {{\n\t\troot {storage}\n\t}}",
        # Caddy's own local CA is not used here; nothing to put into the system's trust store.
        "skip_install_trust",
    ]
    if acme_ca:
        extra.append(f"acme_ca {acme_ca}")
    if acme_ca_root is not None:
        extra.append(f"acme_ca_root {acme_ca_root}")
    opening = "{\n"
    assert text.startswith(opening), "deploy/caddy/Caddyfile must open with its global options"
    return opening + "".join(f"\t{line}\n" for line in extra) + text[len(opening) :]


def write_caddyfile(
    folder: Path,
    *,
    upstream: str,
    http_port: int,
    https_port: int,
    acme_ca: str = "",
    acme_ca_root: Path | None = None,
) -> Path:
    """caddyfile() written as `folder`/Caddyfile, with Caddy's state in `folder`/storage; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "Caddyfile"
    config.write_text(
        caddyfile(
            upstream=upstream,
            http_port=http_port,
            https_port=https_port,
            storage=folder / "storage",
            acme_ca=acme_ca,
            acme_ca_root=acme_ca_root,
        )
    )
    return config


def command(config: Path) -> list[str]:
    return [find_caddy(), "run", "--config", str(config), "--adapter", "caddyfile"]


def environment(folder: Path, base: dict[str, str]) -> dict[str, str]:
    """Caddy's home and XDG folders inside `folder`: it writes nothing of ours elsewhere."""
    return {
        **base,
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder),
    }
