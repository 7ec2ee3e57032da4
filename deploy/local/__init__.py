"""The real topology on this machine: throwaway servers on 127.0.0.1 and `dukaan cluster`.

One command line, run from the repository's root: `python -m deploy.local COMMAND …` (see
__main__.py). The servers' modules (postgres, with_postgres, redis_server, varnish, nginx, kafka,
sms_gateway, tools) need only the standard library, so any python3 can run them; s3,
elasticsearch_node, cluster and demo need the venv (.venv/bin/python).
"""
