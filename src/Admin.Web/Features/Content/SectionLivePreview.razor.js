// Scales the storefront page (a fixed device width) down to the preview column's width, and gives the column the
// scaled height, whenever either changes size: typing grows the section, a narrower window shrinks the column.
const observers = new WeakMap();

export function fit(viewport) {
    const inner = viewport.firstElementChild;
    const apply = () => {
        const width = parseFloat(inner.style.width) || inner.offsetWidth;
        const scale = Math.min(1, viewport.clientWidth / width);
        inner.style.transform = `scale(${scale})`;
        viewport.style.height = `${Math.ceil(inner.offsetHeight * scale)}px`;
    };
    const observer = new ResizeObserver(apply);
    observer.observe(viewport);
    observer.observe(inner);
    observers.set(viewport, observer);
    apply();
}

export function unfit(viewport) {
    observers.get(viewport)?.disconnect();
    observers.delete(viewport);
}
