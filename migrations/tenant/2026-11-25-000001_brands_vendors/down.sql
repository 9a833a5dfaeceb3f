DROP TABLE vendors;
DROP TABLE brands;
