"""Running an audit's batches on a Dask distributed cluster (`--dask`): an existing one by
its scheduler address, or a LocalCluster on this machine. Optional: needs the [dask] extra.

The cluster runs `scan_batch` as it is; failures and hangs are handled by the same loop as
local workers (runner.run), which retries a failed batch message by message.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING

from .jobs import Done, scan_batch

if TYPE_CHECKING:
    from ..catalog import Lang
    from ..config import Config
    from ..limits import Limits
    from .dispatch import Batch


class DaskBackend:
    """Batches as tasks of a Dask distributed cluster (`client.get_executor()`)."""

    def __init__(
        self, address: str, limits: Limits, config: Config, lang: Lang, workers: int = 0
    ) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise RuntimeError(
                "--dask needs Dask: pip install '.[dask]' in the mailcheck clone"
            ) from exc
        self._cluster = None
        self._closed = False
        # Dask keeps the last 1,000 messages of every connection, transitions and events for
        # debugging: with an audit's thousands of batches that is some 20 MB in this process
        # (client and scheduler) and a few in each worker. A hundred is enough to debug.
        settings: dict[str, object] = {"distributed.admin.low-level-log-length": 100}
        if address == "local":
            # `workers` processes of one thread each, like --jobs. Worker processes must not
            # be daemons: a scan starts its Office worker. The stack profiler (a sample every
            # 10 ms in every worker) and the dashboard cost time and memory nobody looks at.
            settings["distributed.worker.daemon"] = False
            settings["distributed.worker.profile.enabled"] = False
        # Read when the cluster, its workers and the client's connection are made.
        with dask.config.set(settings):
            if address == "local":
                self._cluster = LocalCluster(
                    n_workers=workers or None,
                    processes=True,
                    threads_per_worker=1,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(address, timeout="30s")
        threads = sum(self._client.nthreads().values()) or 1
        self.capacity = threads * 2
        self._executor = self._client.get_executor(pure=False)
        self._args = (limits, config, lang)

    def submit(self, batch: Batch, timeout: float) -> Future[tuple[Done, ...]]:
        return self._executor.submit(scan_batch, batch, *self._args)  # type: ignore[no-any-return]

    def close(self) -> None:
        """End the client and, with a LocalCluster, its scheduler and worker processes."""
        if self._closed:
            return
        self._closed = True
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
