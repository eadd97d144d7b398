-- 20261122000002_Content
-- Homepage sections per locale with immutable versions, schedules, and the products/categories they show.
-- Versions are never updated in place except for the published marker; history is never rewritten.

CREATE TABLE products (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sku             text NOT NULL UNIQUE CHECK (length(sku) BETWEEN 1 AND 64),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description     text,
    price           numeric(12, 2) NOT NULL CHECK (price >= 0),
    image_url       text CHECK (image_url IS NULL OR image_url ~ '^https?://'),
    inventory_count integer NOT NULL DEFAULT 0 CHECK (inventory_count >= 0),
    is_featured     boolean NOT NULL DEFAULT false,
    is_active       boolean NOT NULL DEFAULT true,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE categories (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text,
    image_url   text CHECK (image_url IS NULL OR image_url ~ '^https?://'),
    is_active   boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE homepage_sections (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    locale                 text NOT NULL REFERENCES locales (code),
    section_key            text NOT NULL CHECK (section_key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    section_type           text NOT NULL CHECK (section_type IN ('hero', 'banner', 'rich_text', 'product_carousel', 'category_grid')),
    display_order          integer NOT NULL CHECK (display_order >= 0),
    status                 text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    is_active              boolean NOT NULL DEFAULT true,
    metadata               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    -- The number of the newest version: taken under this row's lock, so numbers are strictly increasing and
    -- concurrent saves can never share one (the unique key on section_versions backs that up).
    latest_version_number  integer NOT NULL DEFAULT 0,
    draft_version_id       uuid,
    published_version_id   uuid,
    created_at             timestamptz NOT NULL DEFAULT now(),
    created_by             uuid,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    updated_by             uuid,
    updated_by_email       text,
    CONSTRAINT homepage_sections_key_per_locale UNIQUE (locale, section_key),
    -- Deferred so a reorder can move every row in one statement; its index also serves the list and delivery scans.
    CONSTRAINT homepage_sections_order_per_locale UNIQUE (locale, display_order) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT homepage_sections_published_has_version CHECK (status <> 'published' OR published_version_id IS NOT NULL)
);

CREATE TABLE section_versions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    section_id       uuid NOT NULL REFERENCES homepage_sections (id) ON DELETE CASCADE,
    version_number   integer NOT NULL CHECK (version_number >= 1),
    content          jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
    change_summary   text NOT NULL DEFAULT '' CHECK (length(change_summary) <= 500),
    restored_from    integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       uuid,
    created_by_email text,
    -- The version live on the storefront now; published_at stays once a version has ever been published.
    is_published     boolean NOT NULL DEFAULT false,
    published_at     timestamptz,
    -- Serves version numbering, history keyset paging (section_id, version_number DESC) and "latest version" lookups.
    CONSTRAINT section_versions_number_per_section UNIQUE (section_id, version_number)
);

ALTER TABLE homepage_sections
    ADD CONSTRAINT homepage_sections_draft_version_fk FOREIGN KEY (draft_version_id) REFERENCES section_versions (id) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT homepage_sections_published_version_fk FOREIGN KEY (published_version_id) REFERENCES section_versions (id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE section_schedules (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    section_id  uuid NOT NULL REFERENCES homepage_sections (id) ON DELETE CASCADE,
    version_id  uuid NOT NULL REFERENCES section_versions (id) ON DELETE CASCADE,
    publish_at  timestamptz NOT NULL,
    expire_at   timestamptz,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'expired', 'cancelled')),
    executed_at timestamptz,
    expired_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid,
    created_by_email text,
    CHECK (expire_at IS NULL OR expire_at > publish_at)
);

-- The worker's two batch queries, and the list/editor "scheduled" marker.
CREATE INDEX section_schedules_due_publish_idx ON section_schedules (publish_at) WHERE status = 'pending';
CREATE INDEX section_schedules_due_expire_idx ON section_schedules (expire_at) WHERE status = 'active' AND expire_at IS NOT NULL;
CREATE INDEX section_schedules_open_idx ON section_schedules (section_id) WHERE status IN ('pending', 'active');

-- Links as of the published version (rewritten on publish from the version's productIds / categoryIds).
CREATE TABLE section_products (
    section_id    uuid NOT NULL REFERENCES homepage_sections (id) ON DELETE CASCADE,
    product_id    uuid NOT NULL REFERENCES products (id),
    display_order integer NOT NULL,
    PRIMARY KEY (section_id, product_id)
);
CREATE INDEX section_products_product_idx ON section_products (product_id);

CREATE TABLE section_categories (
    section_id    uuid NOT NULL REFERENCES homepage_sections (id) ON DELETE CASCADE,
    category_id   uuid NOT NULL REFERENCES categories (id),
    display_order integer NOT NULL,
    PRIMARY KEY (section_id, category_id)
);
CREATE INDEX section_categories_category_idx ON section_categories (category_id);

-- Every change to a section announces itself on the live channel once its transaction commits.
CREATE FUNCTION content_notify_section() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM live_notify('content', coalesce(NEW.id, OLD.id)::text, lower(TG_OP) || ':' || coalesce(NEW.locale, OLD.locale));
    RETURN NULL;
END $$;

CREATE TRIGGER homepage_sections_notify
    AFTER INSERT OR UPDATE OR DELETE ON homepage_sections
    FOR EACH ROW EXECUTE FUNCTION content_notify_section();

-- The storefront's view of one locale: published, active sections in order, each with its published content and
-- the products and categories it links to. SECURITY DEFINER: the delivery API reads anonymously.
CREATE FUNCTION content_published_homepage(p_locale text) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', hs.id,
               'key', hs.section_key,
               'type', hs.section_type,
               'order', hs.display_order,
               'version', sv.version_number,
               'content', sv.content - 'productIds' - 'categoryIds',
               'metadata', hs.metadata,
               'products', coalesce(p.items, '[]'::jsonb),
               'categories', coalesce(c.items, '[]'::jsonb)) ORDER BY hs.display_order), '[]'::jsonb)
    FROM homepage_sections hs
    JOIN section_versions sv ON sv.id = hs.published_version_id
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(jsonb_build_object(
                   'id', pr.id, 'sku', pr.sku, 'name', pr.name, 'description', pr.description, 'price', pr.price,
                   'imageUrl', pr.image_url, 'inStock', pr.inventory_count > 0, 'featured', pr.is_featured)
               ORDER BY sp.display_order) AS items
        FROM section_products sp JOIN products pr ON pr.id = sp.product_id AND pr.is_active
        WHERE sp.section_id = hs.id) p ON true
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(jsonb_build_object(
                   'id', ca.id, 'slug', ca.slug, 'name', ca.name, 'description', ca.description, 'imageUrl', ca.image_url)
               ORDER BY sc.display_order) AS items
        FROM section_categories sc JOIN categories ca ON ca.id = sc.category_id AND ca.is_active
        WHERE sc.section_id = hs.id) c ON true
    WHERE hs.locale = p_locale AND hs.status = 'published' AND hs.is_active
$$;

GRANT SELECT, INSERT, UPDATE ON homepage_sections, section_versions, section_schedules TO admin_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON section_products, section_categories TO admin_app;
GRANT SELECT ON products, categories TO admin_app;
REVOKE ALL ON FUNCTION content_published_homepage(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION content_published_homepage(text) TO admin_app;
