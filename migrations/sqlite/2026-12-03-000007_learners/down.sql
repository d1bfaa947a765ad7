DROP TRIGGER search_documents_delete;
DROP TRIGGER search_documents_insert;
DROP TABLE search_index;
DROP TABLE search_documents;
DROP TABLE calendar_feeds;
