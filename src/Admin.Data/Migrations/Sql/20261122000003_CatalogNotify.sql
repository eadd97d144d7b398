-- 20261122000003_CatalogNotify
-- The delivery API caches each locale's published homepage, which embeds product and category rows (name, price,
-- stock, active flag). Section changes already announce themselves (homepage_sections trigger); catalog changes did
-- not, so a price change or a deactivated product stayed in every instance's cache. One announcement per statement
-- (not per row): a bulk import of 2,000 products sends one NOTIFY, and receivers drop every locale anyway.

CREATE FUNCTION content_notify_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM live_notify('catalog', TG_TABLE_NAME, lower(TG_OP));
    RETURN NULL;
END $$;

CREATE TRIGGER products_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION content_notify_catalog();

CREATE TRIGGER categories_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION content_notify_catalog();
