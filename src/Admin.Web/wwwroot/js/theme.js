// The theme cookie is written by the page (the choice is made in the circuit, which has no HTTP response to set it on).
export function remember(name, value) {
    document.cookie = `${name}=${value}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
}
