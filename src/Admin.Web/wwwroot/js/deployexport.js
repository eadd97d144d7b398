// Export download with progress for Features/Deployments/DeploymentExportButtons.razor: the server streams one line per
// deployment and says how many in X-Total-Count, so counting newlines gives the progress.
export async function download(dotnet, body, key) {
    const response = await fetch("/api/deployments/export", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Idempotency-Key": key },
        body: JSON.stringify(body),
    });
    if (!response.ok) {
        let detail = response.statusText;
        try { detail = (await response.json()).detail || detail; } catch { /* not problem JSON */ }
        return { ok: false, error: `${response.status}: ${detail}` };
    }
    const total = Number(response.headers.get("X-Total-Count") || 0);
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || "deployments";
    const reader = response.body.getReader();
    const chunks = [];
    let lines = 0, last = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
        const now = performance.now();
        if (now - last > 150) {
            last = now;
            await dotnet.invokeMethodAsync("Progress", Math.min(lines, total), total);
        }
    }
    await dotnet.invokeMethodAsync("Progress", total, total);
    const url = URL.createObjectURL(new Blob(chunks, { type: response.headers.get("Content-Type") || "application/octet-stream" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return { ok: true, error: null, name, count: total };
}
