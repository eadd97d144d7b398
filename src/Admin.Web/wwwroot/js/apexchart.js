// Interop for Components/Shared/ApexChart.razor. ApexCharts (npm, copied to lib/ at build) is loaded on first use.
let loading;

function ensureApexCharts() {
    if (window.ApexCharts) return Promise.resolve();
    loading ??= new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = new URL("../lib/apexcharts/apexcharts.min.js", import.meta.url).href;
        script.onload = resolve;
        script.onerror = () => reject(new Error("apexcharts could not be loaded"));
        document.head.appendChild(script);
    });
    return loading;
}

// Text and grid lines take MudBlazor's palette (MudThemeProvider writes it as CSS variables on :root), so a chart
// matches the page in light and dark.
function palette(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function withTheme(options, mode) {
    return {
        ...options,
        chart: { background: "transparent", fontFamily: "inherit", foreColor: palette("--mud-palette-text-secondary", undefined), ...(options.chart || {}) },
        grid: { borderColor: palette("--mud-palette-lines-default", "#e0e0e0"), ...(options.grid || {}) },
        theme: { ...(options.theme || {}), mode },
    };
}

export async function create(element, options, mode) {
    await ensureApexCharts();
    const chart = new window.ApexCharts(element, withTheme(options, mode));
    await chart.render();
    element.dataset.rendered = "true";
    return {
        // Series and options change in place: no re-creation, so a live update does not flicker or lose zoom.
        update(next, nextMode) {
            element.dataset.updates = String(Number(element.dataset.updates || 0) + 1);
            return chart.updateOptions(withTheme(next, nextMode), false, true);
        },
        destroy() { chart.destroy(); },
    };
}
