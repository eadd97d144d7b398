-- Deployments and Releases landed separately: a deployment's content release now has to exist.
ALTER TABLE deployments
    ADD CONSTRAINT deployments_release_fk FOREIGN KEY (release_id) REFERENCES releases (id);
CREATE INDEX deployments_release_idx ON deployments (release_id) WHERE release_id IS NOT NULL;
