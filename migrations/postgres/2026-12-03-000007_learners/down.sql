DROP TABLE search_documents;
DROP TABLE calendar_feeds;
